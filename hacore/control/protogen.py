"""Regenerate the committed gRPC code from ``proto/`` (``make proto``).

The generated modules are committed so that installing hacore needs no protoc; a
test regenerates into a temporary directory and fails when the committed files are
stale. Output paths follow the proto package: ``proto/hacore/v1/hacore.proto``
becomes ``hacore/v1/hacore_pb2.py`` (+ ``.pyi``) and ``hacore_pb2_grpc.py``.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc  # type: ignore[import-untyped]

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = REPO_ROOT / "proto"
PROTO_FILES = ("hacore/v1/hacore.proto",)
GENERATED = ("hacore/v1/hacore_pb2.py", "hacore/v1/hacore_pb2.pyi", "hacore/v1/hacore_pb2_grpc.py")


def generate(out_root: Path, proto_root: Path = PROTO_ROOT) -> list[Path]:
    """Run protoc (the one bundled with grpcio-tools) and return the files written."""
    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{proto_root}",
        f"-I{well_known}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *PROTO_FILES,
    ]
    for sub in {Path(name).parent for name in GENERATED}:
        (out_root / sub).mkdir(parents=True, exist_ok=True)
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed: {' '.join(args)}")
    return [out_root / name for name in GENERATED]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=REPO_ROOT, help="output root (default: the repository)"
    )
    options = parser.parse_args(argv)
    for path in generate(options.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
