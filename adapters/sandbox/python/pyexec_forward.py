"""The inside half of a mode's network allow-list (see adapters/sandbox/network.ts).

    python3 pyexec_forward.py SPEC_JSON -- COMMAND...

Listens on each allowed endpoint's loopback address and port inside the
sandbox and pipes every connection to that endpoint's Unix socket, whose
other end (outside the sandbox) connects only to the allowed endpoint. The
listeners are bound before COMMAND starts; the forwarding runs in a forked,
non-dumpable process and COMMAND replaces this one.
"""

import json
import os
import socket
import sys
import threading

import pyexec_confine


def _pipe(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    for sock in (source, target):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _serve(listener, socket_path):
    while True:
        inside, _ = listener.accept()
        outside = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            outside.connect(socket_path)
        except OSError:
            inside.close()
            outside.close()
            continue
        inside.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_pipe, args=(inside, outside), daemon=True).start()
        threading.Thread(target=_pipe, args=(outside, inside), daemon=True).start()


def main(argv):
    separator = argv.index("--")
    forwards = json.loads(argv[1])
    command = argv[separator + 1:]
    listeners = []
    for forward in forwards:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((forward["listen_host"], forward["port"]))
        listener.listen(64)
        listeners.append((listener, forward["socket"]))
    if os.fork() == 0:
        pyexec_confine.set_dumpable(False)
        os.setsid()
        threads = [threading.Thread(target=_serve, args=pair, daemon=True) for pair in listeners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        os._exit(0)
    for listener, _ in listeners:
        listener.close()
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
