#!/usr/bin/env bash
# Two "hosts" on one machine: network namespaces snn-hostA and snn-hostB joined by a veth pair
# (10.77.0.1 <-> 10.77.0.2), one rank in each, over TCP only (--mca btl tcp,self: shared memory
# cannot carry it), with a hostfile naming the two addresses. mpirun runs in hostA; Open MPI
# starts the remote daemon through its rsh launcher (ssh by default), here a script that enters
# hostB's namespace (with its own hostname, as a real second host has) instead of ssh.
# Needs root (ip netns). Usage: Tests/dist/two_hosts.sh [scenario args for dist_worker.py]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
A=snn-hostA B=snn-hostB
work="$(mktemp -d /tmp/snn-two-hosts.XXXXXX)"
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
    echo "two_hosts: needs root and iproute2 (ip netns): skipped"; exit 0
fi
if ! command -v mpirun >/dev/null; then echo "two_hosts: mpirun not found: skipped (tools/setup.sh installs openmpi-bin)"; exit 0; fi
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cleanup; work="$(mktemp -d /tmp/snn-two-hosts.XXXXXX)"
ip netns add "$A"
ip netns add "$B"
ip link add snn-vethA type veth peer name snn-vethB
ip link set snn-vethA netns "$A"
ip link set snn-vethB netns "$B"
ip -n "$A" addr add 10.77.0.1/24 dev snn-vethA
ip -n "$B" addr add 10.77.0.2/24 dev snn-vethB
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set snn-vethA up
ip -n "$B" link set snn-vethB up

printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' > "$work/hostfile"
# Open MPI calls the agent as `agent <host> <command...>`, as it would call ssh.
cat > "$work/netns-rsh" <<AGENT
#!/bin/sh
host="\$1"; shift
[ "\$host" = 10.77.0.2 ] || { echo "netns-rsh: unknown host \$host" >&2; exit 1; }
exec ip netns exec $B unshare --uts sh -c "hostname snn-hostB; \$*"
AGENT
chmod +x "$work/netns-rsh"

export OPENBLAS_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export SWIFTNN_LIB="${SWIFTNN_LIB:-$repo/build/lib/libswiftnn.so}" DIST_TIMEOUT=60
args=("$@"); [ ${#args[@]} -gt 0 ] || args=(collectives)
echo "two_hosts: 2 ranks on 10.77.0.1 ($A) and 10.77.0.2 ($B), --mca btl tcp,self: ${args[*]}"
ip netns exec "$A" unshare --uts sh -c 'hostname snn-hostA; exec "$@"' sh \
    timeout 300 mpirun --hostfile "$work/hostfile" -np 2 \
      --mca plm_rsh_agent "$work/netns-rsh" \
      --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
      -x OPENBLAS_NUM_THREADS -x SWIFTNN_LIB -x DIST_TIMEOUT -x PATH \
      python3 "$repo/bindings/python/tests/dist_worker.py" "${args[@]}" | tee "$work/out"
# the ranks' traffic went over the veth pair (bytes hostA's end sent and received)
bytes=$(ip -n "$A" -s -j link show snn-vethA | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]; print(s["rx"]["bytes"] + s["tx"]["bytes"])')
echo "two_hosts: $bytes bytes crossed the veth pair"
[ "$bytes" -gt 10000 ] || { echo "two_hosts: too little traffic on the veth pair"; exit 1; }
n=$(grep -o 'rank [0-9]*: ok ' "$work/out" | wc -l)
[ "$n" = 2 ] || { echo "two_hosts: expected 2 ranks to report ok, got $n"; exit 1; }
if [ "${args[0]}" = collectives ]; then  # one rank on each "host"
    grep -q "rank 0: ok.*on host snn-hostA" "$work/out" && grep -q "rank 1: ok.*on host snn-hostB" "$work/out"
fi
echo "two_hosts: ok"
