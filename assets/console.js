// opscron console: the little that needs JavaScript — a run's live progress over
// Server-Sent Events. Every page reads and every form works without it.
(function () {
  'use strict';
  var live = document.querySelector('[data-live]');
  if (!live || typeof EventSource === 'undefined') return;
  var status = document.getElementById('run-status');
  var bar = document.getElementById('run-progress');
  var note = document.getElementById('run-note');
  var source = new EventSource(live.getAttribute('data-live'));
  source.addEventListener('run', function (event) {
    var run = JSON.parse(event.data);
    if (status) {
      status.textContent = run.status;
      status.className = 'badge b-' + run.status;
    }
    if (bar && run.progress) {
      bar.value = run.progress.fraction;
      bar.hidden = false;
    }
    if (note) note.textContent = run.progress && run.progress.note ? run.progress.note : '';
    if (run.finished) {
      source.close();
      // The finished run's findings, metrics and error: the page as the server renders it.
      window.location.replace(run.url);
    }
  });
  source.addEventListener('gone', function () {
    source.close();
  });
})();
