#!/usr/bin/env python3
"""Writes a C file defining `const char NAME[]` and `NAME_len` from a file."""
import sys

src, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
with open(out, "w") as f:
    f.write("#include <stddef.h>\n")
    f.write(f"const char {name}[] = {{\n")
    for i in range(0, len(data), 16):
        f.write("".join(f"{b},"for b in data[i:i + 16]) + "\n")
    f.write("0};\n")
    f.write(f"const size_t {name}_len = {len(data)};\n")
