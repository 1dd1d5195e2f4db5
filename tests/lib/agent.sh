# agent SOCK [N]: starts tests/lib/fake-agent.py on SOCK in the background
# (N connections, default unlimited), sets AGENT to its pid and returns once
# the socket exists. The caller kills "$AGENT".
agent() {
	python3 "$SRCDIR/tests/lib/fake-agent.py" "$@" &
	AGENT=$!
	for _ in $(seq 50); do [ -S "$1" ] && break; sleep 0.1; done
}
