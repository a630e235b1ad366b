#!/usr/bin/env python3
"""rawhttp.py: raw-socket HTTP clients for the pack-serve tests (what curl normalises or cannot do).

Usage (DATA takes backslash escapes: \\r \\n \\x00 ...):
  rawhttp.py send PORT DATA [--timeout S] [--parse]
      write DATA in one write, read until the server closes or S seconds
      (default 5) pass; print the raw bytes (or, with --parse, one line per
      response: "STATUS LENGTH SHA1-OF-BODY"); exit 0 when the server
      closed the connection, 2 when it was still open at the timeout.
  rawhttp.py trickle PORT DATA [--interval S] [--max S]
      write DATA one byte every S seconds (default 1); print how many
      seconds passed until the server closed; exit 0 when it closed within
      --max seconds (default 30), 2 otherwise.
  rawhttp.py rst PORT PATH [--read N] [--host H]
      GET PATH, read N bytes (default 65536) of the answer, then close with
      an RST (SO_LINGER 0); exit 0 when N bytes came before the close.
  rawhttp.py stall PORT PATH [--hold S]
      GET PATH, read one byte, then read nothing for S seconds (default 10)
      while the server's send buffer fills; print whether the server had
      closed or reset the connection by then ("closed"/"open").
  rawhttp.py status PORT DATA [--timeout S]
      the status code of the first response (print "none" if there is none).
"""
import argparse
import codecs
import hashlib
import socket
import struct
import sys
import time


def connect(port, timeout):
	s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
	s.settimeout(timeout)
	return s


def unescape(data):
	return codecs.decode(data, "unicode_escape").encode("latin-1")


def read_all(s, timeout):
	"""Read until EOF or timeout; return (bytes, closed)."""
	out = bytearray()
	deadline = time.monotonic() + timeout
	while True:
		left = deadline - time.monotonic()
		if left <= 0:
			return bytes(out), False
		s.settimeout(left)
		try:
			b = s.recv(65536)
		except socket.timeout:
			return bytes(out), False
		except ConnectionResetError:
			return bytes(out), True
		if not b:
			return bytes(out), True
		out += b


def request_methods(data):
	"""The method of each request in DATA, in order (to know which responses have no body)."""
	methods = []
	for line in data.split(b"\n"):
		parts = line.split(b" ")
		if len(parts) == 3 and parts[2].strip().startswith(b"HTTP/"):
			methods.append(parts[0].decode("latin-1"))
	return methods


def parse_responses(raw, methods):
	"""Split concatenated responses; yield (status line, content length, body sha1)."""
	pos = 0
	i = 0
	while pos < len(raw):
		end = raw.find(b"\r\n\r\n", pos)
		if end < 0:
			yield ("INCOMPLETE-HEAD", 0, "")
			return
		head = raw[pos:end].decode("latin-1").split("\r\n")
		status = head[0]
		length = 0
		for h in head[1:]:
			k, _, v = h.partition(":")
			if k.strip().lower() == "content-length":
				length = int(v.strip())
		method = methods[i] if i < len(methods) else "GET"
		code = status.split(" ")[1] if " " in status else ""
		if method == "HEAD" or code in ("204", "304"):
			length_in = 0
		else:
			length_in = length
		body = raw[end + 4:end + 4 + length_in]
		if len(body) < length_in:
			yield (status, length, "SHORT-BODY")
			return
		yield (status.strip(), length, hashlib.sha1(body).hexdigest())
		pos = end + 4 + length_in
		i += 1


def cmd_send(a):
	data = unescape(a.data)
	s = connect(a.port, a.timeout)
	s.sendall(data)
	raw, closed = read_all(s, a.timeout)
	s.close()
	if a.parse:
		for status, length, sha in parse_responses(raw, request_methods(data)):
			print(status, length, sha)
	else:
		sys.stdout.buffer.write(raw)
	return 0 if closed else 2


def cmd_status(a):
	data = unescape(a.data)
	s = connect(a.port, a.timeout)
	try:
		s.sendall(data)
	except (BrokenPipeError, ConnectionResetError):
		pass
	# Only the head matters: stop at its end, at the close, or at the timeout.
	raw = b""
	deadline = time.monotonic() + a.timeout
	while b"\r\n\r\n" not in raw and time.monotonic() < deadline:
		s.settimeout(max(0.01, deadline - time.monotonic()))
		try:
			b = s.recv(65536)
		except (socket.timeout, ConnectionResetError):
			break
		if not b:
			break
		raw += b
	s.close()
	line = raw.split(b"\r\n", 1)[0].decode("latin-1")
	parts = line.split(" ")
	print(parts[1] if len(parts) > 1 and line.startswith("HTTP/") else "none")
	return 0


def cmd_trickle(a):
	data = unescape(a.data)
	s = connect(a.port, a.max + 5)
	start = time.monotonic()
	i = 0
	while time.monotonic() - start < a.max:
		if i < len(data):
			try:
				s.send(data[i:i + 1])
			except (BrokenPipeError, ConnectionResetError):
				break
			i += 1
		# Wait for the next byte's turn, or the server's close.
		s.settimeout(a.interval)
		try:
			b = s.recv(65536)
			if not b:
				break
			# An answer (408, 400...) is fine; the close is what we wait for.
		except socket.timeout:
			continue
		except ConnectionResetError:
			break
	else:
		print("still open after %.1f s (%d bytes sent)" % (time.monotonic() - start, i))
		return 2
	print("%.1f" % (time.monotonic() - start))
	return 0


def cmd_rst(a):
	s = connect(a.port, 10)
	req = "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (a.path, a.host)
	s.sendall(req.encode("latin-1"))
	got = 0
	while got < a.read:
		try:
			b = s.recv(min(65536, a.read - got))
		except (socket.timeout, ConnectionResetError):
			break
		if not b:
			break
		got += len(b)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	s.close()
	return 0 if got >= a.read else 1


def cmd_stall(a):
	s = connect(a.port, 10)
	# A small receive buffer, so the server's writes stall soon.
	s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
	req = "GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % a.path
	s.sendall(req.encode("latin-1"))
	s.recv(1)
	time.sleep(a.hold)
	# Drain what is buffered: a closed connection ends in EOF or a reset.
	s.settimeout(2)
	state = "open"
	try:
		while True:
			b = s.recv(1 << 20)
			if not b:
				state = "closed"
				break
	except ConnectionResetError:
		state = "closed"
	except socket.timeout:
		pass
	s.close()
	print(state)
	return 0


def main():
	p = argparse.ArgumentParser()
	sub = p.add_subparsers(dest="cmd", required=True)
	q = sub.add_parser("send")
	q.add_argument("port", type=int)
	q.add_argument("data")
	q.add_argument("--timeout", type=float, default=5)
	q.add_argument("--parse", action="store_true")
	q = sub.add_parser("status")
	q.add_argument("port", type=int)
	q.add_argument("data")
	q.add_argument("--timeout", type=float, default=5)
	q = sub.add_parser("trickle")
	q.add_argument("port", type=int)
	q.add_argument("data")
	q.add_argument("--interval", type=float, default=1)
	q.add_argument("--max", type=float, default=30)
	q = sub.add_parser("stall")
	q.add_argument("port", type=int)
	q.add_argument("path")
	q.add_argument("--hold", type=float, default=10)
	q = sub.add_parser("rst")
	q.add_argument("port", type=int)
	q.add_argument("path")
	q.add_argument("--read", type=int, default=65536)
	q.add_argument("--host", default="127.0.0.1")
	a = p.parse_args()
	return {"send": cmd_send, "status": cmd_status, "trickle": cmd_trickle, "rst": cmd_rst,
		"stall": cmd_stall}[a.cmd](a)


if __name__ == "__main__":
	sys.exit(main())
