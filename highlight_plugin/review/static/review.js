// The review page: the source and the reel, the timeline (score curve, shot changes, clips with draggable edges),
// the clip cards, and every change sent to the server as it is made (it saves it, with undo). No library.
(function () {
  'use strict';
  var SLUG = document.currentScript.dataset.slug;
  var API = '/api/reels/' + encodeURIComponent(SLUG);
  var $ = function (id) { return document.getElementById(id); };
  var SVG = 'http://www.w3.org/2000/svg';
  var S = {doc: null, source: 0, selected: null, zoom: 1, mark: {in: null, out: null}, drag: null, playTo: null,
           jog: null, chain: Promise.resolve(), polling: false, reelUrl: null};
  var page = window.__review = {changes: 0, errors: [], renders: 0};

  // ------------------------------------------------------------------ server
  function api(path, body) {
    var init = {credentials: 'same-origin'};
    if (body !== undefined) {
      init.method = 'POST';
      init.headers = {'Content-Type': 'application/json'};
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (r) {
      return r.json().catch(function () { return {error: r.statusText}; }).then(function (out) {
        if (!r.ok) throw new Error(out.error || r.statusText);
        return out;
      });
    });
  }

  function send(path, body) {  // one change after the other, in the order made
    S.chain = S.chain.then(function () {
      saved('Saving\u2026', true);
      return api(path, body).then(function (doc) {
        page.changes += 1;
        show(doc);
        saved('Saved ' + new Date().toLocaleTimeString(), false);
        hideError();
        return doc.told;
      }).catch(function (e) { saved('Not saved', false); error(e); });
    });
    return S.chain;
  }

  function change(op) { return send('/changes', op); }

  function saved(text, busy) { var el = $('saved'); el.textContent = text; el.classList.toggle('busy', busy); }
  function error(e) { var el = $('error'); el.textContent = String(e.message || e); el.hidden = false;
    page.errors.push(el.textContent); }
  function hideError() { $('error').hidden = true; }

  // ------------------------------------------------------------------ time
  function source() { return S.doc.sources[S.source]; }
  function fps() { return source().fps || 25; }
  function onFrame(t) { var f = fps(); return Math.round(Math.round(t * f) / f * 1000) / 1000; }
  function pad(n, w) { n = String(n); while (n.length < w) n = '0' + n; return n; }
  function tc(t) {  // HH:MM:SS:FF on the source's frame rate
    var f = Math.round(fps()), frames = Math.round(t * fps());
    return pad(Math.floor(frames / (3600 * f)), 2) + ':' + pad(Math.floor(frames / (60 * f)) % 60, 2) + ':' +
      pad(Math.floor(frames / f) % 60, 2) + ':' + pad(frames % f, 2);
  }
  function parseTime(text) {  // HH:MM:SS:FF, MM:SS(.s) or seconds
    var parts = String(text).trim().split(':').map(Number);
    if (!parts.length || parts.some(isNaN)) return null;
    if (parts.length === 4) return parts[0] * 3600 + parts[1] * 60 + parts[2] + parts[3] / fps();
    return parts.reduce(function (acc, v) { return acc * 60 + v; }, 0);
  }
  function seconds(t) { return (Math.round(t * 100) / 100).toFixed(2) + ' s'; }

  // ------------------------------------------------------------------ the document
  function show(doc) {
    S.doc = doc;
    if (S.source >= doc.sources.length) S.source = 0;
    $('undo').disabled = !doc.undo;
    $('redo').disabled = !doc.redo;
    $('shape').value = doc.render.vertical || '';
    $('loudness').value = doc.render.loudness === null ? 'off' : String(doc.render.loudness);
    ensureOption($('loudness'), $('loudness').value);
    $('status').value = doc.status.status;
    var follow = $('shape').querySelector('option[value=follow]');
    follow.textContent = source().follow ? '9:16 follow' : '9:16 follow (centre crop: no follow profile)';
    $('rendered').textContent = doc.rendered ? '(up to date)' : '(changes not rendered yet)';
    $('render').classList.toggle('primary', !doc.rendered || !doc.reel);
    if (doc.report) $('report').href = doc.report;
    if (doc.reel !== S.reelUrl) {
      S.reelUrl = doc.reel;
      if (doc.reel) $('reel').src = doc.reel; else $('reel').removeAttribute('src');
    }
    sourcePicker();
    drawTimeline();
    drawCards();
    showJob(doc.job);
    if (doc.job && (doc.job.state === 'queued' || doc.job.state === 'running')) poll();
  }

  function ensureOption(select, value) {
    if (select.value === value) return;
    var option = document.createElement('option');
    option.value = value; option.textContent = value + ' LUFS';
    select.appendChild(option); select.value = value;
  }

  function sourcePicker() {
    var pick = $('source-pick');
    if (pick.options.length !== S.doc.sources.length) {
      pick.innerHTML = '';
      S.doc.sources.forEach(function (s) {
        var o = document.createElement('option'); o.value = s.n; o.textContent = s.name; pick.appendChild(o);
      });
    }
    pick.value = String(S.source);
    pick.hidden = S.doc.sources.length < 2;
    var video = $('source'), s = source();
    if (video.dataset.n !== String(s.n)) {
      video.dataset.n = String(s.n);
      if (s.playable) video.src = s.url; else video.removeAttribute('src');
      video.title = s.playable ? s.name : s.name + ': not playable in a browser (the cards play the clips)';
    }
  }

  function kept() { return S.doc.clips.filter(function (c) { return !c.dropped; }); }
  function clipById(id) { return S.doc.clips.find(function (c) { return c.id === id; }); }
  function position(id) { return kept().findIndex(function (c) { return c.id === id; }) + 1; }

  // ------------------------------------------------------------------ timeline
  var PAD = 8, H = 138, Y = {curve: [4, 62], clips: [66, 102], shots: [104, 116], ruler: 118};

  function geometry() {
    var box = $('timeline'), width = Math.max(box.clientWidth, 300) * S.zoom, d = source().duration || 1;
    return {width: width, d: d, x: function (t) { return PAD + t / d * (width - 2 * PAD); },
            t: function (x) { return Math.min(Math.max((x - PAD) / (width - 2 * PAD) * d, 0), d); }};
  }

  function el(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function drawTimeline() {
    var g = geometry(), box = $('timeline'), scroll = box.scrollLeft;
    var svg = el('svg', {width: g.width, height: H, id: 'tl'});
    el('rect', {x: 0, y: 0, width: g.width, height: H, class: 'bg', 'data-role': 'bg'}, svg);
    var curve = S.doc.curve;
    if (curve && S.source === 0 && curve.scores.length) {
      var lo = Math.min.apply(null, curve.scores), hi = Math.max.apply(null, curve.scores), span = hi - lo || 1;
      var pts = ['M' + g.x(0) + ',' + Y.curve[1]];
      curve.scores.forEach(function (s, i) {
        var y = Y.curve[1] - (s - lo) / span * (Y.curve[1] - Y.curve[0]);
        pts.push('L' + g.x(i * curve.clip_len) + ',' + y, 'L' + g.x(Math.min((i + 1) * curve.clip_len, g.d)) + ',' + y);
      });
      pts.push('L' + g.x(Math.min(curve.scores.length * curve.clip_len, g.d)) + ',' + Y.curve[1] + 'Z');
      el('path', {d: pts.join(' '), class: 'curve', 'data-role': 'bg'}, svg);
    }
    source().shots.forEach(function (s) {
      var x = g.x(s.time);
      el('line', {x1: x, x2: x, y1: Y.shots[0], y2: Y.shots[1], class: 'shot', 'data-role': 'bg'}, svg);
    });
    ruler(svg, g);
    if (S.mark.in !== null || S.mark.out !== null) {
      var a = S.mark.in !== null ? S.mark.in : 0, b = S.mark.out !== null ? S.mark.out : g.d;
      el('rect', {x: g.x(Math.min(a, b)), y: 0, width: Math.abs(g.x(b) - g.x(a)), height: H, class: 'mark',
                  'data-role': 'bg'}, svg);
    }
    S.doc.clips.forEach(function (c) { if (c.source === S.source) drawClip(svg, g, c); });
    el('line', {x1: 0, x2: 0, y1: 0, y2: H, class: 'playhead', id: 'playhead'}, svg);
    el('line', {x1: -10, x2: -10, y1: 0, y2: H, class: 'ghost', id: 'ghost', visibility: 'hidden'}, svg);
    box.innerHTML = '';
    box.appendChild(svg);
    box.scrollLeft = scroll;
    svg.addEventListener('pointerdown', pointerDown);
    svg.addEventListener('pointermove', pointerMove);
    svg.addEventListener('pointerup', pointerUp);
    playhead();
    markText();
  }

  function ruler(svg, g) {
    var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    var step = steps.find(function (s) { return g.x(s) - g.x(0) >= 70; }) || 3600;
    for (var t = 0; t <= g.d + 1e-6; t += step) {
      var x = g.x(t);
      el('line', {x1: x, x2: x, y1: Y.ruler, y2: Y.ruler + 5, class: 'tick', 'data-role': 'bg'}, svg);
      var label = el('text', {x: x + 2, y: H - 4, 'data-role': 'bg'}, svg);
      label.textContent = tc(t).slice(0, 8);
    }
  }

  function drawClip(svg, g, c) {
    var x0 = g.x(c.start), x1 = g.x(c.end), cls = 'clip' + (c.dropped ? ' dropped' : '') +
      (c.id === S.selected ? ' selected' : '');
    el('rect', {x: x0, y: Y.clips[0], width: Math.max(x1 - x0, 1), height: Y.clips[1] - Y.clips[0], class: cls,
                'data-role': 'clip', 'data-id': c.id, id: 'tl-' + c.id}, svg);
    if (!c.dropped) {
      var label = el('text', {x: x0 + 4, y: Y.clips[0] + 14, class: 'clip-label'}, svg);
      label.textContent = String(position(c.id));
      ['start', 'end'].forEach(function (edge) {
        var x = edge === 'start' ? x0 : x1;
        el('rect', {x: x - 4, y: Y.clips[0], width: 8, height: Y.clips[1] - Y.clips[0], class: 'handle',
                    'data-role': 'handle', 'data-id': c.id, 'data-edge': edge, id: 'h-' + c.id + '-' + edge}, svg);
      });
    }
  }

  function playhead() {
    var line = $('playhead'), video = $('source');
    if (!line || !S.doc) return;
    var x = geometry().x(video.currentTime || 0);
    line.setAttribute('x1', x); line.setAttribute('x2', x);
    $('timecode').textContent = tc(video.currentTime || 0);
  }

  function markText() {
    var m = S.mark, ok = m.in !== null && m.out !== null && Math.abs(m.out - m.in) >= S.doc.min_length;
    $('range').textContent = m.in === null && m.out === null ? '' : 'In ' + (m.in === null ? '--' : tc(m.in)) +
      '  Out ' + (m.out === null ? '--' : tc(m.out)) + (ok ? '  (' + seconds(Math.abs(m.out - m.in)) + ')' : '');
    $('add').disabled = !ok;
  }

  // ------------------------------------------------------------------ timeline gestures
  function localX(e) { var box = e.currentTarget.getBoundingClientRect(); return e.clientX - box.left; }
  function free(e) { return e.altKey || e.shiftKey; }

  function pointerDown(e) {
    if (e.button !== 0) return;
    var role = e.target.dataset.role, g = geometry(), t = g.t(localX(e));
    e.currentTarget.setPointerCapture(e.pointerId);
    if (role === 'handle') {
      S.drag = {kind: 'edge', id: e.target.dataset.id, edge: e.target.dataset.edge, x0: e.clientX, t: t};
    } else if (role === 'clip') {
      S.drag = {kind: 'clip', id: e.target.dataset.id, x0: e.clientX};
    } else {
      S.drag = {kind: 'range', t0: t, x0: e.clientX};
    }
    e.preventDefault();
  }

  function pointerMove(e) {
    if (!S.drag) return;
    var g = geometry(), t = g.t(localX(e)), ghost = $('ghost');
    if (S.drag.kind === 'edge') {
      S.drag.t = free(e) ? onFrame(t) : t;
      ghost.setAttribute('x1', g.x(S.drag.t)); ghost.setAttribute('x2', g.x(S.drag.t));
      ghost.setAttribute('visibility', 'visible');
      var c = clipById(S.drag.id);
      $('range').textContent = (S.drag.edge === 'start' ? 'In ' : 'Out ') + tc(S.drag.t) + ' (' +
        (S.drag.t - c[S.drag.edge] >= 0 ? '+' : '') + seconds(S.drag.t - c[S.drag.edge]) + ')' +
        (free(e) ? '' : ' snapping');
      if (!free(e)) snapPreview(S.drag);
    } else if (S.drag.kind === 'range' && Math.abs(e.clientX - S.drag.x0) > 3) {
      S.mark = {in: onFrame(Math.min(S.drag.t0, t)), out: onFrame(Math.max(S.drag.t0, t))};
      var mark = document.querySelector('#tl .mark') ||
        el('rect', {y: 0, height: H, class: 'mark', 'data-role': 'bg'}, null);
      if (!mark.parentNode) $('tl').insertBefore(mark, $('playhead'));
      mark.setAttribute('x', g.x(S.mark.in)); mark.setAttribute('width', g.x(S.mark.out) - g.x(S.mark.in));
      markText();
    }
  }

  var snapping = null;
  function snapPreview(drag) {  // where the server would snap this edge (one request in flight)
    if (snapping) return;
    var t = drag.t;
    snapping = api('/snap', {id: drag.id, edge: drag.edge, t: t}).then(function (out) {
      snapping = null;
      if (S.drag !== drag) return;
      var g = geometry(), ghost = $('ghost');
      ghost.setAttribute('x1', g.x(out.t)); ghost.setAttribute('x2', g.x(out.t));
      if (out.kind) $('range').textContent += ' \u2192 ' + tc(out.t) + ' (' + out.kind + ')';
    }).catch(function () { snapping = null; });
  }

  function pointerUp(e) {
    var drag = S.drag, g = geometry();
    S.drag = null;
    if (!drag) return;
    if (drag.kind === 'edge') {
      $('ghost').setAttribute('visibility', 'hidden');
      if (Math.abs(e.clientX - drag.x0) < 2) { select(drag.id, true); return; }
      var op = {op: 'trim', id: drag.id, snap: !free(e)};
      op[drag.edge] = free(e) ? onFrame(g.t(localX(e))) : g.t(localX(e));
      change(op);
    } else if (drag.kind === 'clip') {
      select(drag.id, true);
    } else if (Math.abs(e.clientX - drag.x0) <= 3) {
      seek(g.t(localX(e)));
    }
  }

  // ------------------------------------------------------------------ cards
  function button(text, act, id, title) {
    var b = document.createElement('button');
    b.textContent = text; b.dataset.act = act; b.dataset.id = id; b.className = 'act-' + act;
    if (title) b.title = title;
    return b;
  }

  function drawCards() {
    var list = $('cards'), total = 0;
    list.innerHTML = '';
    S.doc.clips.forEach(function (c, i) {
      if (!c.dropped) total += c.end - c.start;
      list.appendChild(card(c, i));
    });
    $('summary').textContent = kept().length + ' of ' + S.doc.clips.length + ' clips, ' + seconds(total) +
      (S.doc.order === 'edited' ? ', in your order' : ', in story order');
    $('story').disabled = S.doc.order !== 'edited';
  }

  function card(c, i) {
    var li = document.createElement('li');
    li.className = 'card' + (c.dropped ? ' dropped' : '') + (c.id === S.selected ? ' selected' : '');
    li.dataset.id = c.id; li.dataset.index = i; li.dataset.start = c.start; li.dataset.end = c.end;
    li.id = 'card-' + c.id;
    var thumb = document.createElement('div');
    thumb.className = 'thumb'; thumb.title = 'Drag to reorder; click to select';
    if (c.poster) {
      var img = document.createElement('img'); img.src = c.poster; img.alt = c.id; thumb.appendChild(img);
    } else thumb.appendChild(text('span', c.dropped ? 'dropped' : 'not rendered yet'));
    li.appendChild(thumb);
    li.appendChild(cardMeta(c));
    li.appendChild(cardTimes(c));
    var actions = document.createElement('div'); actions.className = 'actions';
    actions.appendChild(button('\u25c0', 'left', c.id, 'Earlier in the reel (,)'));
    actions.appendChild(button('\u25b6', 'right', c.id, 'Later in the reel (.)'));
    actions.appendChild(button('Play', 'play', c.id, 'Play it in the source monitor'));
    actions.appendChild(c.dropped ? button('Restore', 'restore', c.id, 'Put it back (Delete)')
                                  : button('Drop', 'drop', c.id, 'Leave it out of the reel (Delete)'));
    li.appendChild(actions);
    return li;
  }

  function cardMeta(c) {
    var meta = document.createElement('div'), several = S.doc.sources.length > 1;
    meta.className = 'meta';
    meta.appendChild(text('span', c.dropped ? 'dropped' : '#' + position(c.id), 'pos'));
    meta.appendChild(text('span', c.id + (several ? ' \u00b7 ' + S.doc.sources[c.source].name : '')));
    if (c.score !== null) meta.appendChild(text('span', 'score ' + c.score.toFixed(3)));
    if (c.label) meta.appendChild(text('span', c.label));
    if (!c.machine) meta.appendChild(text('span', 'added', 'badge new'));
    else if (c.machine.start !== c.start || c.machine.end !== c.end) {
      meta.appendChild(text('span', 'trimmed', 'badge edited'));
    }
    return meta;
  }

  function cardTimes(c) {
    var times = document.createElement('div');
    times.className = 'times';
    ['start', 'end'].forEach(function (edge) {
      times.appendChild(text('label', edge === 'start' ? 'In' : 'Out'));
      var input = document.createElement('input');
      input.className = 'edge-' + edge; input.value = tc(c[edge]); input.dataset.id = c.id; input.dataset.edge = edge;
      input.title = 'HH:MM:SS:FF, MM:SS.ss or seconds; Enter to apply (no snapping)';
      times.appendChild(input);
    });
    var snapped = c.snap.start || c.snap.end ? '  snapped: ' + (c.snap.start || '-') + ' / ' + (c.snap.end || '-') : '';
    times.appendChild(text('span', 'Length'));
    times.appendChild(text('span', seconds(c.end - c.start) + snapped, 'len'));
    return times;
  }

  function text(tag, content, cls) {
    var node = document.createElement(tag); node.textContent = content; if (cls) node.className = cls; return node;
  }

  function neighbour(id, step) {  // the display index of the nearest kept clip before (-1) or after (+1)
    var clips = S.doc.clips, i = clips.findIndex(function (c) { return c.id === id; });
    for (var j = i + step; j >= 0 && j < clips.length; j += step) if (!clips[j].dropped) return j;
    return null;
  }

  function move(id, step) {
    var to = neighbour(id, step);
    if (to !== null) change({op: 'move', id: id, to: to});
  }

  $('cards').addEventListener('click', function (e) {
    var b = e.target.closest('button');
    if (!b) return;
    var id = b.dataset.id;
    if (b.dataset.act === 'drop' || b.dataset.act === 'restore') change({op: b.dataset.act, id: id});
    else if (b.dataset.act === 'left') move(id, -1);
    else if (b.dataset.act === 'right') move(id, 1);
    else if (b.dataset.act === 'play') playClip(id);
  });

  $('cards').addEventListener('change', function (e) {
    var input = e.target;
    if (!input.dataset.edge) return;
    var t = parseTime(input.value);
    if (t === null) { error('not a time: ' + input.value); return; }
    var op = {op: 'trim', id: input.dataset.id, snap: false};
    op[input.dataset.edge] = onFrame(t);
    change(op);
  });

  // reorder by dragging a card's picture onto another card
  $('cards').addEventListener('pointerdown', function (e) {
    var thumb = e.target.closest('.thumb');
    if (!thumb || e.button !== 0) return;
    S.cardDrag = {id: thumb.parentNode.dataset.id, x0: e.clientX, y0: e.clientY, over: null};
    thumb.setPointerCapture(e.pointerId);
    e.preventDefault();
  });
  $('cards').addEventListener('pointermove', function (e) {
    var d = S.cardDrag;
    if (!d) return;
    var under = document.elementFromPoint(e.clientX, e.clientY), card = under && under.closest('.card');
    document.querySelectorAll('.card.drop-before').forEach(function (c) { c.classList.remove('drop-before'); });
    d.over = card && card.dataset.id !== d.id ? card : null;
    if (d.over) d.over.classList.add('drop-before');
  });
  $('cards').addEventListener('pointerup', function (e) {
    var d = S.cardDrag;
    S.cardDrag = null;
    if (!d) return;
    document.querySelectorAll('.card.drop-before').forEach(function (c) { c.classList.remove('drop-before'); });
    if (Math.abs(e.clientX - d.x0) + Math.abs(e.clientY - d.y0) < 4 || !d.over) { select(d.id, true); return; }
    var from = S.doc.clips.findIndex(function (c) { return c.id === d.id; }), to = Number(d.over.dataset.index);
    change({op: 'move', id: d.id, to: to > from ? to - 1 : to});
  });

  // ------------------------------------------------------------------ playing
  function seek(t) {
    var video = $('source');
    S.playTo = null;
    if (video.readyState >= 1) video.currentTime = t;
    else video.addEventListener('loadedmetadata', function () { video.currentTime = t; }, {once: true});
    playhead();
  }

  function select(id, andSeek) {
    S.selected = id;
    var c = clipById(id);
    if (c && c.source !== S.source) { S.source = c.source; sourcePicker(); }
    drawTimeline();
    document.querySelectorAll('.card').forEach(function (li) {
      li.classList.toggle('selected', li.dataset.id === id);
    });
    if (c && andSeek) seek(c.start);
  }

  function playClip(id) {
    var c = clipById(id), video = $('source');
    select(id, true);
    S.playTo = c.end;
    var p = video.play();
    if (p) p.catch(function () {});
  }

  $('source').addEventListener('timeupdate', function () {
    var video = $('source');
    if (S.playTo !== null && video.currentTime >= S.playTo) { video.pause(); S.playTo = null; }
    playhead();
  });
  (function tick() { if (!$('source').paused) playhead(); requestAnimationFrame(tick); })();

  function stopJog() { if (S.jog) { clearInterval(S.jog.timer); S.jog = null; } }
  function jkl(key) {
    var video = $('source');
    if (key === 'k') { stopJog(); video.pause(); video.playbackRate = 1; return; }
    if (key === 'l') {
      stopJog();
      video.playbackRate = video.paused ? 1 : Math.min(video.playbackRate * 2, 8);
      var p = video.play(); if (p) p.catch(function () {});
      return;
    }
    video.pause();  // j: backwards (a browser plays forwards only: stepped)
    var rate = S.jog ? Math.min(S.jog.rate * 2, 8) : 1;
    stopJog();
    S.jog = {rate: rate, timer: setInterval(function () {
      video.currentTime = Math.max(video.currentTime - 0.05 * rate, 0);
      if (video.currentTime <= 0) stopJog();
    }, 50)};
  }

  // ------------------------------------------------------------------ rendering
  function showJob(job) {
    var el = $('job');
    if (!job || job.state === 'idle') { el.textContent = ''; el.className = 'job'; return; }
    var words = {queued: 'Queued' + (job.ahead ? ' (' + job.ahead + ' ahead)' : ''),
                 running: 'Rendering' + (job.total ? ' ' + job.done + '/' + job.total : '') + '\u2026',
                 done: 'Rendered' + (job.seconds !== null ? ' in ' + job.seconds + ' s' : ''),
                 failed: 'Render failed: ' + job.error};
    el.textContent = words[job.state];
    el.className = 'job ' + job.state;
    el.dataset.state = job.state;
  }

  function poll() {
    if (S.polling) return;
    S.polling = true;
    var step = function () {
      api('/render').then(function (job) {
        showJob(job);
        if (job.state === 'queued' || job.state === 'running') { setTimeout(step, 400); return; }
        S.polling = false;
        api('').then(function (doc) {
          show(doc);
          if (job.state === 'done') {
            page.renders += 1;
            var reel = $('reel'), p = reel.play && reel.play();
            if (p) p.catch(function () {});
          }
        });
      }).catch(function (e) { S.polling = false; error(e); });
    };
    step();
  }

  function render() {
    S.chain = S.chain.then(function () {  // after the changes made before it
      return api('/render', {}).then(function (job) { showJob(job); poll(); }).catch(error);
    });
  }

  // ------------------------------------------------------------------ controls
  $('undo').addEventListener('click', function () { send('/undo', {}); });
  $('redo').addEventListener('click', function () { send('/redo', {}); });
  $('render').addEventListener('click', render);
  $('shape').addEventListener('change', function () { change({op: 'render', vertical: $('shape').value || null}); });
  $('loudness').addEventListener('change', function () {
    var v = $('loudness').value;
    change({op: 'render', loudness: v === 'off' ? null : Number(v)});
  });
  $('status').addEventListener('change', function () {
    api('/status', {status: $('status').value}).then(function (s) { S.doc.status = s; hideError(); }).catch(error);
  });
  $('source-pick').addEventListener('change', function () {
    S.source = Number($('source-pick').value); S.mark = {in: null, out: null}; sourcePicker(); drawTimeline();
  });
  $('zoom-in').addEventListener('click', function () { zoom(2); });
  $('zoom-out').addEventListener('click', function () { zoom(0.5); });
  $('story').addEventListener('click', function () { change({op: 'order', order: 'story'}); });
  $('add').addEventListener('click', function (e) { addMarked(!free(e)); });
  window.addEventListener('resize', function () { if (S.doc) drawTimeline(); });

  function zoom(factor) { S.zoom = Math.min(Math.max(S.zoom * factor, 1), 256); drawTimeline(); }

  function addMarked(snap) {
    var m = S.mark;
    if (m.in === null || m.out === null) return;
    change({op: 'add', start: Math.min(m.in, m.out), end: Math.max(m.in, m.out), source: S.source, snap: snap})
      .then(function (told) {
        if (told && told.id) { S.mark = {in: null, out: null}; select(told.id, false); }
      });
  }

  function selectStep(step) {
    var clips = S.doc.clips, i = clips.findIndex(function (c) { return c.id === S.selected; });
    var j = Math.min(Math.max(i + step, 0), clips.length - 1);
    if (clips[j]) select(clips[j].id, true);
  }

  document.addEventListener('keydown', function (e) {
    if (!S.doc || e.target.closest('input, select, textarea')) return;
    var key = e.key.toLowerCase(), ctrl = e.ctrlKey || e.metaKey, video = $('source'), sel = S.selected;
    var now = onFrame(video.currentTime || 0), done = true;
    if (ctrl && key === 'z') send(e.shiftKey ? '/redo' : '/undo', {});
    else if (ctrl && key === 'y') send('/redo', {});
    else if (ctrl && key === 'enter') render();
    else if (ctrl || e.altKey) done = false;
    else if (key === ' ' || key === 'k') { if (key === ' ' && video.paused) jkl('l'); else jkl('k'); }
    else if (key === 'j' || key === 'l') jkl(key);
    else if (key === 'arrowleft' || key === 'arrowright') {
      video.pause(); seek(Math.max(now + (key === 'arrowleft' ? -1 : 1) * (e.shiftKey ? 1 : 1 / fps()), 0));
    } else if (key === 'i') { S.mark.in = now; drawTimeline(); }
    else if (key === 'o') { S.mark.out = now; drawTimeline(); }
    else if (key === 'a') addMarked(!e.shiftKey);
    else if (key === 'escape') { S.mark = {in: null, out: null}; drawTimeline(); }
    else if ((key === 'q' || key === 'w') && sel) {
      var op = {op: 'trim', id: sel, snap: false}; op[key === 'q' ? 'start' : 'end'] = now; change(op);
    } else if (key === 'arrowup' || key === 'arrowdown') selectStep(key === 'arrowup' ? -1 : 1);
    else if ((key === ',' || key === '.') && sel) move(sel, key === ',' ? -1 : 1);
    else if ((key === 'delete' || key === 'backspace') && sel) {
      change({op: clipById(sel).dropped ? 'restore' : 'drop', id: sel});
    } else if (key === '+' || key === '=') zoom(2);
    else if (key === '-') zoom(0.5);
    else done = false;
    if (done) e.preventDefault();
  });

  api('').then(show).catch(error);
})();
