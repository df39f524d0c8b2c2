// The report page's script: records every media event into the page (the browser tests read it), then: click the
// curve to play from there (the source when the browser plays it, else the nearest clip). Inlined by render/report.py.
(function(){
  var report = window.__report = {errors: [], loaded: 0, videos: document.querySelectorAll('video').length};
  window.addEventListener('error', function(e){
    report.errors.push(String(e.message || e.target && e.target.src)); }, true);
  document.querySelectorAll('video').forEach(function(v){
    v.addEventListener('loadedmetadata', function(){ report.loaded += 1; v.dataset.loaded = '1'; });
  });
  var data = JSON.parse(document.getElementById('report-data').textContent);
  function seek(video, t){
    var go = function(){ video.currentTime = t; var p = video.play(); if (p) p.catch(function(){}); };
    if (video.readyState >= 1) go(); else video.addEventListener('loadedmetadata', go, {once: true});
  }
  function playAt(t, file){
    var player = document.getElementById('player');
    var source = data.sources[file];
    if (player && source && source.playable){
      if (player.dataset.file !== file){ player.src = source.url; player.dataset.file = file; }
      player.scrollIntoView({block: 'nearest'}); seek(player, t); report.last = {file: file, t: t, player: 'source'};
      return;
    }
    var best = null, gap = Infinity;
    data.clips.forEach(function(c){
      if (c.file !== file || !c.clip) return;
      var d = t < c.start ? c.start - t : (t > c.end ? t - c.end : 0);
      if (d < gap){ gap = d; best = c; }
    });
    if (!best) return;
    var video = document.getElementById('clip-' + best.rank);
    document.querySelectorAll('tr.playing').forEach(function(r){ r.classList.remove('playing'); });
    video.closest('tr').classList.add('playing');
    video.scrollIntoView({block: 'nearest'});
    seek(video, Math.min(Math.max(t - best.start, 0), best.end - best.start));
    report.last = {file: file, t: t, player: 'clip-' + best.rank};
  }
  document.querySelectorAll('svg.curve').forEach(function(svg){
    svg.addEventListener('click', function(e){
      var box = svg.getBoundingClientRect(), scale = box.width / Number(svg.dataset.width);
      var x = (e.clientX - box.left) / scale, x0 = Number(svg.dataset.x0), x1 = Number(svg.dataset.x1);
      var t = Number(svg.dataset.t0) + (x - x0) / (x1 - x0) * (Number(svg.dataset.t1) - Number(svg.dataset.t0));
      t = Math.min(Math.max(t, 0), Number(svg.dataset.t1));
      var cursor = svg.querySelector('[id^=cursor]');
      if (cursor){
        cursor.setAttribute('x1', x); cursor.setAttribute('x2', x); cursor.setAttribute('visibility', 'visible'); }
      playAt(t, svg.dataset.file);
    });
  });
})();
