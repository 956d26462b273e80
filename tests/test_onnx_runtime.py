"""Which CPUs the int8 reader is trusted on."""

import pytest

from qa.onnx_runtime import exact_int8_products


@pytest.mark.parametrize(
    "flags, exact",
    [("fpu sse2 avx2 avx512f avx512_vnni", True), ("fpu sse2 avx2 avx_vnni", True), ("fpu amx_tile amx_int8", True),
     ("fpu sse2 avx2 fma", False), ("fpu sse2 avx512f avx512bw", False)],
)
def test_an_x86_cpu_multiplies_int8_exactly_only_with_32_bit_dot_products(tmp_path, flags, exact):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\n", encoding="utf-8")
    assert exact_int8_products("x86_64", cpuinfo) is exact


def test_unknown_x86_flags_mean_float32_and_other_architectures_int8(tmp_path):
    assert exact_int8_products("AMD64", tmp_path / "absent") is False
    assert exact_int8_products("aarch64", tmp_path / "absent") is True
