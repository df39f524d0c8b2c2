"""Review and trim a reel (or a catalogue of reels) in the browser: drop, trim, reorder and add clips, pick the
shape and loudness, render; every change is saved beside the reel as it is made (docs/review.md).

Examples:
    python tools/review.py reels/film              # one reel: prints http://127.0.0.1:PORT/
    python tools/review.py reels/ --port 8800      # a catalogue: a list of its reels with their review status
    python tools/review.py reels/ --host 0.0.0.0   # reachable from other machines: a token is required (in the URL)

The server listens on 127.0.0.1 unless --host says otherwise; then every request needs the token printed in the URL.
It serves the reels' own files and their source videos only. Stop it with Ctrl+C: nothing is lost.
"""
import argparse
import os
import secrets
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from highlight_plugin.engine.cli import run_cli  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('out', metavar='OUT', help='a reel\'s folder (it holds result.npz), or a catalogue\'s root')
    p.add_argument('--host', default='127.0.0.1',
                   help='address to listen on (default 127.0.0.1: this machine only; any other needs the token)')
    p.add_argument('--port', type=int, default=0, help='port (default 0: a free one)')
    p.add_argument('--token', help='the token other machines must give (default: a new random one when --host is '
                                   'not a loopback address)')
    return p.parse_args(argv)


def main(argv=None):
    import uvicorn

    from highlight_plugin.review.app import create_app
    from highlight_plugin.review.security import is_loopback
    args = parse_args(argv)
    token = args.token or (None if is_loopback(args.host) else secrets.token_urlsafe(24))
    app = create_app(args.out, token=token)
    family = socket.AF_INET6 if ':' in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)  # connections wait from now on: the URL printed works at once
    port = sock.getsockname()[1]
    shown = 'localhost' if args.host in ('0.0.0.0', '::') else args.host
    shown = f'[{shown}]' if ':' in shown else shown
    print(f'review server: http://{shown}:{port}/' + (f'?token={token}' if token else ''), flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level='warning', access_log=False))
    try:
        server.run(sockets=[sock])
    finally:
        app.state.queue.close()


if __name__ == '__main__':
    run_cli(main)
