// Progressive enhancement of the evidence upload: drag and drop, several files at once, and a
// progress bar per file. Without JavaScript the same form posts the chosen files in one request.
(function () {
  'use strict';
  var form = document.querySelector('form[data-upload]');
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var input = form.querySelector('input[type=file]');
  var zone = form.querySelector('.dropzone');
  var list = document.getElementById('upload-progress');
  var kind = form.querySelector('select[name=kind]');
  var csrf = form.querySelector('input[name=csrf]');

  function item(name) {
    var li = document.createElement('li');
    var label = document.createElement('span');
    label.textContent = name;
    var bar = document.createElement('progress');
    bar.max = 100; bar.value = 0;
    bar.setAttribute('aria-label', 'Upload of ' + name);
    var state = document.createElement('span');
    state.setAttribute('role', 'status');
    li.appendChild(label); li.appendChild(document.createTextNode(' ')); li.appendChild(state); li.appendChild(bar);
    list.appendChild(li);
    return { bar: bar, state: state };
  }

  function send(file) {
    return new Promise(function (resolve) {
      var row = item(file.name);
      var data = new FormData();
      if (csrf) { data.append('csrf', csrf.value); }
      if (kind && kind.value) { data.append('kind', kind.value); }
      data.append('file', file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { row.bar.value = Math.round(100 * e.loaded / e.total); }
      };
      xhr.onload = function () {
        var answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (ignored) { answer = {}; }
        if (xhr.status >= 200 && xhr.status < 300) {
          row.bar.value = 100; row.state.textContent = 'uploaded'; row.state.className = 'done';
          resolve(true);
        } else {
          row.state.textContent = 'refused: ' + (answer.message || ('HTTP ' + xhr.status)) + (answer.code ? ' (' + answer.code + ')' : '');
          row.state.className = 'failed';
          resolve(false);
        }
      };
      xhr.onerror = function () {
        row.state.textContent = 'failed: the connection was lost'; row.state.className = 'failed';
        resolve(false);
      };
      xhr.send(data);
    });
  }

  function upload(files) {
    if (!files || !files.length) { return; }
    var all = Array.prototype.slice.call(files).map(send);
    Promise.all(all).then(function (results) {
      input.value = '';
      if (results.every(Boolean)) {
        window.location.reload();
      } else if (results.some(Boolean)) {
        var again = document.createElement('li');
        var a = document.createElement('a');
        a.href = window.location.href; a.textContent = 'Show the uploaded documents';
        again.appendChild(a); list.appendChild(again);
      }
    });
  }

  // Chosen files go at once, each with its bar; the button is for browsers without the script.
  var button = form.querySelector('button[type=submit]');
  if (button) { button.hidden = true; }
  var hint = document.getElementById('limits');
  if (hint) { hint.appendChild(document.createTextNode(' Chosen or dropped files are uploaded at once.')); }
  input.addEventListener('change', function () { upload(input.files); });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    upload(input.files);
  });
  if (zone) {
    ['dragenter', 'dragover'].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add('over'); });
    });
    ['dragleave', 'drop'].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove('over'); });
    });
    zone.addEventListener('drop', function (e) {
      if (e.dataTransfer && e.dataTransfer.files) { upload(e.dataTransfer.files); }
    });
  }
})();
