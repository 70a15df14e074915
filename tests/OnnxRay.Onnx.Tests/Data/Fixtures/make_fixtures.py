# Dev-time script (numpy) that wrote the npy/npz fixtures read by NpyFormatTests; the tests never run Python.
import numpy as np
a = {
 'f4': np.arange(12, dtype=np.float32).reshape(3,4) * 0.5,
 'f8': np.array([1.5, -2.25, 1e300]),
 'i8': np.array([[-1, 2**40]], dtype=np.int64),
 'i4': np.array([7, -9], dtype=np.int32),
 'f2': np.array([0.5, -1.0, 65504.0], dtype=np.float16),
 'b1': np.array([True, False, True]),
 'u1': np.array([0, 255, 3], dtype=np.uint8),
 'scalar': np.float64(3.25),
 'empty': np.zeros((0, 5), dtype=np.float32),
}
np.savez('mixed_stored.npz', **a)
np.savez_compressed('mixed_deflated.npz', **a)
np.lib.format.write_array(open('v2_header.npy','wb'), np.arange(6, dtype=np.float32).reshape(2,3), version=(2,0))
np.save('fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2,3)))
np.save('bigendian.npy', np.arange(3, dtype='>f4'))
