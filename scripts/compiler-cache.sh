# SPDX-License-Identifier: Apache-2.0
# Sourced by the build scripts: compile through ccache where it is installed, keyed so that
# every clone and build folder of this tree shares one cache (paths relative to the tree, the
# build folder left out of the key). Sets `launcher` to the CMake arguments that enable it.
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  export CCACHE_DIR="${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/meterd-ccache}"
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-6G}"
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
