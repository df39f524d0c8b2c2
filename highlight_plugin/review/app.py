"""The review server's routes (Starlette): the pages, the JSON API the page calls, the reels' files and sources.

::

    GET  /                            the catalogue's list (one reel: its page)
    GET  /reel/{slug}/                a reel's review page
    GET  /api/reels                   the reels with their review status
    GET  /api/reels/{slug}            the page's document (view.py)
    POST /api/reels/{slug}/changes    one change (changes.py) -> the document; 4xx and nothing changed when bad
    POST /api/reels/{slug}/undo|redo
    POST /api/reels/{slug}/snap       {"edge", "t", "id"} -> where that edge snaps to
    POST /api/reels/{slug}/render     queue a re-cut; GET: its state
    POST /api/reels/{slug}/status     {"status": "to review" | "approved" | "rejected"}
    GET  /files/{slug}/{path}         a file of the reel's folder; /sources/{slug}/{n}: its n-th source video
"""
import json
import os.path as osp
from typing import Optional

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..engine.errors import HighlightError
from .queue import RenderQueue
from .reels import ReelSet, reel_file
from .security import Guard
from .view import reel_view

HERE = osp.dirname(osp.abspath(__file__))
MAX_BODY = 64 * 1024  # bytes of one change


def create_app(root: str, token: Optional[str] = None) -> Starlette:
    """The review app of the reel or catalogue in ``root``; ``token``: required on every request (a server
    reachable from other machines)."""
    reels = ReelSet(root)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(osp.join(HERE, 'templates')), autoescape=True)
    templates = Jinja2Templates(env=env)

    def render(slug, progress):  # the editor wants a reel: clips and the reel, whatever the first run wrote
        from ..apis.recut import recut_reel
        reel = reels.get(slug)
        reel.store.reload_result(recut_reel(reel.folder, render=dict(cut=True, reel=True), progress=progress))

    queue = RenderQueue(render)
    api = _Api(reels, queue, templates)
    routes = [
        Route('/', api.index), Route('/reel/{slug}/', api.page), Route('/api/reels', api.listing),
        Route('/api/reels/{slug}', api.document), Route('/api/reels/{slug}/changes', api.change, methods=['POST']),
        Route('/api/reels/{slug}/undo', api.undo, methods=['POST']),
        Route('/api/reels/{slug}/redo', api.redo, methods=['POST']),
        Route('/api/reels/{slug}/snap', api.snap, methods=['POST']),
        Route('/api/reels/{slug}/render', api.render, methods=['GET', 'POST']),
        Route('/api/reels/{slug}/status', api.status, methods=['POST']),
        Route('/files/{slug}/{path:path}', api.file), Route('/sources/{slug}/{n:int}', api.source),
        Mount('/static', StaticFiles(directory=osp.join(HERE, 'static')), name='static'),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard, token=token)],
                    exception_handlers={HTTPException: _http_error, HighlightError: _user_error})
    app.state.reels, app.state.queue = reels, queue
    return app


async def _http_error(request, exc):
    return JSONResponse(dict(error=exc.detail), status_code=exc.status_code)


async def _user_error(request, exc):
    return JSONResponse(dict(error=str(exc)), status_code=422)


class _Api:
    """The handlers (see the module doc)."""

    def __init__(self, reels: ReelSet, queue: RenderQueue, templates: Jinja2Templates):
        self.reels, self.queue, self.templates = reels, queue, templates

    def _reel(self, request: Request):
        reel = self.reels.get(request.path_params['slug'])
        if reel is None:
            raise HTTPException(404, f'no reel {request.path_params["slug"]!r} here')
        return reel

    def _document(self, reel, **extra):
        status = self.reels.statuses().get(reel.id, dict(status='to review', updated=None))
        return JSONResponse(dict(reel_view(reel, self.queue.status(reel.slug), status), **extra))

    @staticmethod
    async def _body(request: Request) -> dict:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise HTTPException(413, f'a change is at most {MAX_BODY} bytes')
        try:
            body = json.loads(raw or b'null')
        except ValueError as e:
            raise HTTPException(400, f'not JSON: {e}') from None
        if not isinstance(body, dict):
            raise HTTPException(400, 'send a JSON object')
        return body

    async def index(self, request: Request):
        self.reels.refresh()
        if self.reels.single:
            reel, = self.reels.reels.values()
            return RedirectResponse(f'/reel/{reel.slug}/', status_code=303)
        return self.templates.TemplateResponse(request, 'catalogue.html', dict(
            reels=self.reels.listing(), root=osp.basename(self.reels.root), statuses=('to review', 'approved',
                                                                                      'rejected')))

    async def page(self, request: Request):
        reel = self._reel(request)
        return self.templates.TemplateResponse(request, 'reel.html', dict(
            reel=reel, catalogue=not self.reels.single, title=reel.id))

    async def listing(self, request: Request):
        self.reels.refresh()
        return JSONResponse(dict(reels=self.reels.listing()))

    async def document(self, request: Request):
        return self._document(self._reel(request))

    async def change(self, request: Request):
        reel = self._reel(request)
        told = reel.store.change(await self._body(request))
        return self._document(reel, told=told)

    async def undo(self, request: Request):
        reel = self._reel(request)
        return self._document(reel, told=dict(done=reel.store.undo()))

    async def redo(self, request: Request):
        reel = self._reel(request)
        return self._document(reel, told=dict(done=reel.store.redo()))

    async def snap(self, request: Request):
        from ..apis.edits.snap import dragged_edge
        reel = self._reel(request)
        body = await self._body(request)
        store = reel.store
        clip = next((c for c in store.state['clips'] if c['id'] == body.get('id')), None)
        if clip is None or body.get('edge') not in ('start', 'end'):
            raise HTTPException(400, 'snap: give "id" (a clip), "edge" ("start" or "end") and "t" (seconds)')
        t, kind = dragged_edge(store.result, store.cut, clip, body['edge'], body.get('t'))
        return JSONResponse(dict(t=t, kind=kind))

    async def render(self, request: Request):
        reel = self._reel(request)
        if request.method == 'POST':
            return JSONResponse(self.queue.submit(reel.slug))
        return JSONResponse(self.queue.status(reel.slug))

    async def status(self, request: Request):
        reel = self._reel(request)
        body = await self._body(request)
        return JSONResponse(self.reels.set_status(reel, body.get('status')))

    async def file(self, request: Request):
        reel = self._reel(request)
        path = reel_file(reel, request.path_params['path'])
        if path is None:
            raise HTTPException(404, 'no such file in this reel')
        return FileResponse(path)

    async def source(self, request: Request):
        reel = self._reel(request)
        files = list(reel.store.cut.limits)
        n = request.path_params['n']
        if not 0 <= n < len(files) or not osp.isfile(files[n]):
            raise HTTPException(404, 'no such source of this reel')
        return FileResponse(files[n])
