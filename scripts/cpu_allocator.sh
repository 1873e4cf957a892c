# Sourced by the scripts that train on the CPU. Preloads tcmalloc when it is installed
# (Debian: libtcmalloc-minimal4, which scripts/install.sh adds): a CPU training step
# allocates and frees the same large buffers every iteration, and glibc returns them to
# the kernel only to fault fresh pages in on the next step. See BENCHMARKS.md
# (benchmarks/train_step_rate.py). ACTLOOP_MALLOC=system keeps glibc; a LD_PRELOAD that is
# already set is left alone.
if [ -z "${LD_PRELOAD:-}" ] && [ "${ACTLOOP_MALLOC:-tcmalloc}" = tcmalloc ]; then
  _ldconfig="$(command -v ldconfig || echo /sbin/ldconfig)"
  _tcmalloc="$("$_ldconfig" -p 2>/dev/null | awk '/libtcmalloc_minimal\.so\.4 /{print $NF; exit}')"
  if [ -n "$_tcmalloc" ]; then
    export LD_PRELOAD="$_tcmalloc"
  fi
  unset _ldconfig _tcmalloc
fi
