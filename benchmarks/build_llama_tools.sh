#!/usr/bin/env bash
# Build llama.cpp's reference tools (llama-perplexity, llama-bench, llama-batched-bench) from the
# llama.cpp sources vendored in the same llama-cpp-python sdist that orbench installs, so that
# orbench's numbers can be checked against the native tools on the same kernels.
#   benchmarks/build_llama_tools.sh            -> .cache/llama-tools/bin/
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(.venv/bin/python -c "import llama_cpp; print(llama_cpp.__version__)")
WORK=.cache/llama-tools
mkdir -p "$WORK"
if [ ! -d "$WORK/src" ]; then
  .venv/bin/pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$WORK"
  tar -xzf "$WORK/llama_cpp_python-$VERSION.tar.gz" -C "$WORK"
  mv "$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp" "$WORK/src"
fi
cmake -S "$WORK/src" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$WORK/build" -j"$(nproc)" --target llama-perplexity llama-bench llama-batched-bench
mkdir -p "$WORK/bin"
cp "$WORK"/build/bin/llama-perplexity "$WORK"/build/bin/llama-bench "$WORK"/build/bin/llama-batched-bench "$WORK/bin/"
echo "built: $(ls "$WORK/bin")"
