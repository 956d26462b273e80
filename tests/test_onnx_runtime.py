"""Which CPUs the int8 reader is trusted on."""

import pytest

from qa.onnx_runtime import cpu, exact_int8_products


@pytest.mark.parametrize(
    "flags, exact",
    [("fpu sse2 avx2 avx512f avx512_vnni", True), ("fpu sse2 avx2 avx_vnni", True), ("fpu amx_tile amx_int8", True),
     ("fpu sse2 avx2 fma", False), ("fpu sse2 avx512f avx512bw", False), ("", False)],
)
def test_an_x86_cpu_multiplies_int8_exactly_only_with_32_bit_dot_products(flags, exact):
    assert exact_int8_products("x86_64", frozenset(flags.split())) is exact


def test_other_architectures_read_int8():
    assert exact_int8_products("aarch64", frozenset()) is True


def test_the_cpu_s_model_and_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 avx512_vnni\n\nprocessor\t: 1\n",
                       encoding="utf-8")
    assert cpu(cpuinfo) == ("Some CPU", frozenset({"fpu", "avx2", "avx512_vnni"}))
    assert cpu(tmp_path / "absent")[1] == frozenset()
