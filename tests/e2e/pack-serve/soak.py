#!/usr/bin/env python3
"""soak.py: the soak test's load generator (stdlib only) — good clients checking every byte, slow clients, vanishing clients and malformed requests, at once, for a given time.

Usage: soak.py PORT MANIFEST SECONDS [--good N] [--slow N] [--vanish N] [--bad N]
MANIFEST: one "URL-PATH LOCAL-FILE" per line; a good client's body (whole
or a random range) must equal the file's bytes. Prints counters on stdout;
exit 1 when any good request failed or any body differed.
"""
import argparse
import hashlib
import http.client
import random
import socket
import struct
import sys
import threading
import time

lock = threading.Lock()
stats = {}
errors = []


def count(key, n=1):
	with lock:
		stats[key] = stats.get(key, 0) + n


def error(msg):
	with lock:
		errors.append(msg)
	count("errors")


def good_client(port, items, until, seed):
	rnd = random.Random(seed)
	conn = None
	while time.monotonic() < until:
		path, data = rnd.choice(items)
		headers = {}
		want = data
		status_want = 200
		if len(data) > 10 and rnd.random() < 0.3:
			a = rnd.randrange(len(data))
			b = rnd.randrange(a, len(data))
			headers["Range"] = "bytes=%d-%d" % (a, b)
			want = data[a:b + 1]
			status_want = 206
		try:
			if conn is None:
				conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
			conn.request("GET", path, headers=headers)
			r = conn.getresponse()
			body = r.read()
			if r.status != status_want or body != want:
				error("GET %s %s: status %d (want %d), %d bytes (want %d), %s" % (
					path, headers, r.status, status_want, len(body), len(want),
					"same bytes" if body == want else "different bytes"))
			else:
				count("good_ok")
				count("good_bytes", len(body))
			if r.getheader("Connection", "").lower() == "close":
				conn.close()
				conn = None
		except (http.client.HTTPException, OSError) as e:
			# A keep-alive connection the server closed (idle timeout) just
			# before our request is legitimate once: retry on a new one.
			if conn is not None and isinstance(e, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)):
				count("good_reconnect")
			else:
				error("GET %s: %r" % (path, e))
			if conn is not None:
				conn.close()
			conn = None
	if conn is not None:
		conn.close()


def slow_client(port, big, until, seed):
	"""Reads the big pack 16 KiB at a time, slowly, for a few seconds, then leaves; or trickles a request."""
	rnd = random.Random(seed)
	while time.monotonic() < until:
		try:
			s = socket.create_connection(("127.0.0.1", port), timeout=10)
			if rnd.random() < 0.5:
				s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
				s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % big).encode())
				stop = time.monotonic() + rnd.uniform(1, 4)
				while time.monotonic() < min(stop, until):
					if not s.recv(16384):
						break
					time.sleep(0.05)
				count("slow_readers")
			else:
				req = b"GET /basic.git/info/refs HTTP/1.1\r\nHost: x\r\n\r\n"
				for i in range(rnd.randrange(3, 12)):
					s.send(req[i:i + 1])
					time.sleep(0.3)
				count("tricklers")
			s.close()
		except OSError:
			count("slow_dropped")


def vanish_client(port, big, until, seed):
	rnd = random.Random(seed)
	while time.monotonic() < until:
		try:
			s = socket.create_connection(("127.0.0.1", port), timeout=10)
			s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % big).encode())
			want = rnd.randrange(1, 4 << 20)
			got = 0
			while got < want:
				b = s.recv(min(65536, want - got))
				if not b:
					break
				got += len(b)
			if rnd.random() < 0.5:
				s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
			s.close()
			count("vanished")
		except OSError as e:
			error("vanishing client could not even start: %r" % e)
		time.sleep(0.02)


BAD = [
	b"GARBAGE\r\n\r\n",
	b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
	b"GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nX: " + b"b" * 10000 + b"\r\n\r\n",
	b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
	b"GET /basic.git/%2e%2e/config HTTP/1.1\r\nHost: x\r\n\r\n",
	b"POST /basic.git/info/refs HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
	b"GET /basic.git/HEAD HTTP/9.9\r\nHost: x\r\n\r\n",
	b"GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
	b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
	b"GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999999999999999999999-\r\n\r\n",
]


def bad_client(port, until, seed):
	rnd = random.Random(seed)
	while time.monotonic() < until:
		if rnd.random() < 0.3:
			data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300))) + b"\r\n\r\n"
		else:
			data = rnd.choice(BAD)
		try:
			s = socket.create_connection(("127.0.0.1", port), timeout=10)
			s.sendall(data)
			s.settimeout(5)
			resp = s.recv(4096)
			if b"root:" in resp or b"[core]" in resp:
				error("a malformed request got secrets back: %r" % data[:80])
			s.close()
			count("malformed")
		except socket.timeout:
			error("no answer within 5 s to a malformed request %r" % data[:60])
		except OSError:
			count("malformed_reset")
		time.sleep(0.01)


def main():
	p = argparse.ArgumentParser()
	p.add_argument("port", type=int)
	p.add_argument("manifest")
	p.add_argument("seconds", type=float)
	p.add_argument("--good", type=int, default=6)
	p.add_argument("--slow", type=int, default=3)
	p.add_argument("--vanish", type=int, default=2)
	p.add_argument("--bad", type=int, default=1)
	p.add_argument("--seed", type=int, default=1)
	a = p.parse_args()
	items = []
	for line in open(a.manifest):
		path, f = line.split()
		items.append((path, open(f, "rb").read()))
	big = max(items, key=lambda it: len(it[1]))[0]
	until = time.monotonic() + a.seconds
	threads = []
	for i in range(a.good):
		threads.append(threading.Thread(target=good_client, args=(a.port, items, until, a.seed * 100 + i)))
	for i in range(a.slow):
		threads.append(threading.Thread(target=slow_client, args=(a.port, big, until, a.seed * 200 + i)))
	for i in range(a.vanish):
		threads.append(threading.Thread(target=vanish_client, args=(a.port, big, until, a.seed * 300 + i)))
	for i in range(a.bad):
		threads.append(threading.Thread(target=bad_client, args=(a.port, until, a.seed * 400 + i)))
	for t in threads:
		t.start()
	for t in threads:
		t.join()
	for k in sorted(stats):
		print("%s %d" % (k, stats[k]))
	for e in errors[:20]:
		print("ERROR " + e)
	ok = not errors and stats.get("good_ok", 0) > 0
	return 0 if ok else 1


if __name__ == "__main__":
	sys.exit(main())
