"""PyTorch module definitions for every exported model (also used by models/bench)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class BostonMLP(nn.Module):
    """13 -> 50 ReLU -> 1 (UCI protocol). Output [B, 1]."""

    def __init__(self, d_in=13, hidden=50):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class DigitsCNN(nn.Module):
    """LeNet-style CNN for 8x8 digits. Input [B,1,8,8], output logits [B,10]."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 16, 3, padding=1)
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)   # [B,6,4,4]
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)   # [B,16,2,2]
        h = torch.flatten(h, 1)                      # [B,64]
        return self.fc2(F.relu(self.fc1(h)))


class OpsZoo(nn.Module):
    """Small network whose differentiable path covers many ONNX ops.

    Inputs: x [B,4,12,12], aux [B,6]. Output log_probs [B,5] (LogSoftmax)."""

    def __init__(self):
        super().__init__()
        self.conv_dil = nn.Conv2d(4, 8, 3, stride=1, padding=2, dilation=2, groups=2)  # [B,8,12,12]
        self.bn = nn.BatchNorm2d(8)
        self.conv_str = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=4)             # [B,8,6,6]
        self.deconv = nn.ConvTranspose2d(8, 4, 2, stride=2)                            # [B,4,12,12]
        self.gate = nn.Conv2d(8, 8, 1)                                                 # [B,8,6,6]
        self.fc1 = nn.Linear(12 + 6, 16)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x, aux):
        h = torch.tanh(self.bn(self.conv_dil(x)))                 # Conv(groups, dilation), BN, Tanh
        e = F.elu(self.conv_str(h))                               # Conv(stride, groups), Elu
        d = F.leaky_relu(self.deconv(e), 0.1)                     # ConvTranspose, LeakyRelu
        p = F.avg_pool2d(d, 2)                                    # AveragePool [B,4,6,6]
        g = e * torch.sigmoid(self.gate(e))                       # Sigmoid gate, Mul
        c = torch.cat([p, g], dim=1)                              # Concat [B,12,6,6]
        c = c[:, :, 1:5, 1:5]                                     # Slice [B,12,4,4]
        t = c.permute(0, 2, 3, 1)                                 # Transpose [B,4,4,12]
        r = t.reshape(t.shape[0], 16, 12)                         # Reshape [B,16,12]
        m = r.mean(dim=1)                                         # ReduceMean [B,12]
        z = torch.cat([m, aux], dim=1)                            # Concat [B,18]
        z = F.softplus(self.fc1(z))                               # Gemm, Softplus
        return F.log_softmax(self.fc2(z), dim=-1)                 # Gemm, LogSoftmax


# --------------------------------------------------------------------------- GPT

def gelu_new(x):
    """GPT-2's gelu_new (tanh approximation), written out."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class CausalSelfAttention(nn.Module):
    def __init__(self, width, heads, context):
        super().__init__()
        assert width % heads == 0
        self.heads = heads
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)
        # bool buffer (not float): exported as a bool initializer, never a parameter
        self.register_buffer("bias", torch.tril(torch.ones(context, context, dtype=torch.bool))
                             .view(1, 1, context, context), persistent=True)

    def forward(self, x):
        B, T, C = x.shape
        hd = C // self.heads
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.heads, hd).transpose(1, 2)        # [B,H,T,hd]
        k = k.view(B, T, self.heads, hd).transpose(1, 2)
        v = v.view(B, T, self.heads, hd).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(~self.bias[:, :, :T, :T], -1e9)   # Where(mask, scores, -1e9)
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width)
        self.c_proj = nn.Linear(4 * width, width)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, width, heads, context):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = CausalSelfAttention(width, heads, context)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = MLP(width)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """GPT-2-style causal LM. input_ids [B,T] int64 -> logits [B,T,V]; lm head tied to wte."""

    def __init__(self, vocab=64, width=32, layers=2, heads=2, context=16):
        super().__init__()
        self.context = context
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(context, width)
        self.h = nn.ModuleList([Block(width, heads, context) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width)
        self.apply(self._init)
        for n, p in self.named_parameters():  # GPT-2 scaled init of residual projections
            if n.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers))

    @staticmethod
    def _init(mod):
        if isinstance(mod, nn.Linear):
            nn.init.normal_(mod.weight, 0.0, 0.02)
            nn.init.zeros_(mod.bias)
        elif isinstance(mod, nn.Embedding):
            nn.init.normal_(mod.weight, 0.0, 0.02)

    def forward(self, input_ids):
        T = input_ids.shape[1]
        pos = torch.arange(0, T, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        x = self.ln_f(x)
        return torch.matmul(x, self.wte.weight.t())  # tied head: MatMul(x, Transpose(wte.weight))


class EncoderClassifier(nn.Module):
    """nn.TransformerEncoder (2 layers, d_model 32, nhead 2, batch_first) + linear head.

    input_ids [B,16] int64 -> logits [B,V] for the character that follows the window."""

    def __init__(self, vocab=64, d_model=32, nhead=2, layers=2, context=16, ff=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(1, context, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=ff, dropout=0.0,
                                           batch_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, input_ids):
        x = self.embed(input_ids) + self.pos
        x = self.encoder(x)
        return self.head(x[:, -1, :])
