// The catalogue's list: a reel's review status changes as its select does (saved in the catalogue's folder).
(function () {
  'use strict';
  var error = document.getElementById('error');
  document.querySelectorAll('select.status').forEach(function (select) {
    select.addEventListener('change', function () {
      var slug = select.dataset.slug;
      fetch('/api/reels/' + encodeURIComponent(slug) + '/status', {
        method: 'POST', headers: {'Content-Type': 'application/json'}, credentials: 'same-origin',
        body: JSON.stringify({status: select.value})
      }).then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.error || r.statusText);
          var row = select.closest('tr');
          row.className = 'status-' + select.value.replace(/ /g, '-');
          row.querySelector('.since').textContent = body.updated || '';
          error.hidden = true;
        });
      }).catch(function (e) { error.textContent = String(e.message || e); error.hidden = false; });
    });
  });
})();
