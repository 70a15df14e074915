# Reads chains written by diagnostics_reference.py (one CSV per case, columns = chains) and prints
# the `posterior` R package's diagnostics as CSV lines: case,rhat,rhat_bulk_tail...,ess_bulk,...
# Usage: Rscript posterior_reference.R <work-dir> <case> [<case> ...]
suppressMessages(library(posterior))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
cat("case,rhat,rhat_basic,ess_bulk,ess_tail,ess_basic,ess_q05,ess_q95,mcse_mean\n")
for (name in args[-1]) {
  x <- as.matrix(read.csv(file.path(dir, paste0(name, ".csv")), header = FALSE))
  dimnames(x) <- NULL
  q <- suppressWarnings(ess_quantile(x, c(0.05, 0.95), names = FALSE))
  vals <- suppressWarnings(c(rhat(x), rhat_basic(x), ess_bulk(x), ess_tail(x), ess_basic(x), q[1], q[2], mcse_mean(x)))
  cat(name, ",", paste(sprintf("%.17g", vals), collapse = ","), "\n", sep = "")
}
