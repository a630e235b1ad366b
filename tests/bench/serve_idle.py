#!/usr/bin/env python3
"""serve_idle.py: open N keep-alive connections to a server, send one small request on each, read its answer, and hold them all open until killed (serve.sh's idle-connections scenario).

Usage: serve_idle.py PORT PATH N READY_FILE
Writes "N ok" to READY_FILE once every connection has had its answer (or
"K ok, E failed" when some failed), then sleeps holding the sockets.
"""
import resource
import selectors
import socket
import sys
import time


def main():
	port, path, n, ready = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 100)), hard))
	req = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode()
	sel = selectors.DefaultSelector()
	socks = []
	failed = 0
	closed = 0
	for i in range(n):
		try:
			s = socket.create_connection(("127.0.0.1", port), timeout=10)
			s.sendall(req)
			s.setblocking(False)
			sel.register(s, selectors.EVENT_READ)
			socks.append(s)
		except OSError:
			failed += 1
	pending = set(socks)
	deadline = time.monotonic() + 60
	while pending and time.monotonic() < deadline:
		for key, _ in sel.select(timeout=1):
			try:
				b = key.fileobj.recv(65536)
			except OSError:
				b = b""
			# The answer is small: one read of its headers is enough to count it.
			if b.startswith(b"HTTP/1.1 200") or not b:
				if not b:
					closed += 1
				pending.discard(key.fileobj)
				sel.unregister(key.fileobj)
	with open(ready, "w") as f:
		f.write("%d ok, %d failed\n" % (len(socks) - len(pending) - closed, failed + closed + len(pending)))
	while True:
		time.sleep(60)


if __name__ == "__main__":
	main()
