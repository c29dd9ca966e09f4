"""Golden bit patterns for HalfFloatsTest: PyTorch's float32 -> bfloat16 and -> float16 rounding.

Run with Debian's python3-torch: /usr/bin/python3 tools/half/conversions.py
The output is pasted into model-core/src/test/java/dev/d2o/model/HalfFloatsTest.java.
"""
import torch

VALUES = [0.0, -0.0, 1.0, -1.0, 1.00390625, 1.005859375, 1.0078125, 3.1415927, 65504.0, 65520.0,
          1e-5, -2.5e-8, 3.4e38, 1e-40, float("inf"), float("-inf"), 0.1, -0.30000001, 123456.789,
          6e-8]

t = torch.tensor(VALUES, dtype=torch.float32)
print("bf16", [hex(x & 0xFFFF) for x in t.bfloat16().view(torch.int16).tolist()])
print("f16 ", [hex(x & 0xFFFF) for x in t.half().view(torch.int16).tolist()])
