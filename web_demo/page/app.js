// The page only draws and forwards input. Connecting, messages, pings and statistics all happen
// in C++ (web_demo/room_client.cc, over wspeer's multiplayer layer) compiled to WebAssembly with
// wspeer's web backend.
'use strict';
const params = new URLSearchParams(location.search);
const playerName = params.get('name') || `guest-${Math.floor(Math.random() * 900 + 100)}`;
// ?room=NAME opens another room (letters, digits, '.', '_' and '-'); without it, the main room.
const roomName = params.get('room') || '';
const socketUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}` +
  (roomName ? `/rooms/${encodeURIComponent(roomName)}` : '/ws');
const canvas = document.getElementById('room');
const context = canvas.getContext('2d');
let snapshot = { state: 'CONNECTING', participants: [], chat: [] };
window.demoSnapshot = () => snapshot;  // read by the end-to-end test

var Module = {
  onRuntimeInitialized: start,
  print: (line) => console.log(line),
  printErr: (line) => console.error(line),
};

document.getElementById('room-name').textContent = roomName ? `· ${roomName}` : '';

function start() {
  Module.ccall('demo_start', null, ['string', 'string'], [socketUrl, playerName]);
  document.getElementById('reconnect').addEventListener('click', () => Module._demo_reconnect());
  document.getElementById('say').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('message');
    if (input.value.trim()) Module.ccall('demo_say', null, ['string'], [input.value]);
    input.value = '';
  });
  const moveTo = (event) => {
    const box = canvas.getBoundingClientRect();
    Module._demo_move((event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  };
  canvas.addEventListener('pointerdown', (event) => { canvas.setPointerCapture(event.pointerId); moveTo(event); });
  canvas.addEventListener('pointermove', (event) => { if (event.buttons) moveTo(event); });
  window.addEventListener('keydown', (event) => {
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key];
    if (!steps || document.activeElement.id === 'message') return;
    event.preventDefault();
    Module._demo_nudge(steps[0] * 0.02, steps[1] * 0.02);
  });
  setInterval(tick, 16);  // keeps running where requestAnimationFrame is paused
  requestAnimationFrame(function animate() { draw(); requestAnimationFrame(animate); });
}

function tick() {
  Module._demo_frame(performance.now());  // the same clock as emscripten_get_now()
  snapshot = JSON.parse(Module.UTF8ToString(Module._demo_snapshot()));
  updatePanel();
}

function updatePanel() {
  const s = snapshot;
  const state = s.state.toLowerCase();
  const badge = document.getElementById('badge');
  badge.className = `badge ${state}`;
  badge.textContent = state;
  document.getElementById('state').textContent = s.state;
  const own = s.participants.find((p) => p.id === s.ownId);
  document.getElementById('you').textContent = own ? `${own.name} (#${own.id})` : playerName;
  document.getElementById('rtt').textContent = s.rttMs >= 0 ? `${s.rttMs.toFixed(1)} ms` : '–';
  document.getElementById('in').textContent = s.inPerSecond.toFixed(1);
  document.getElementById('out').textContent = s.outPerSecond.toFixed(1);
  document.getElementById('buffered').textContent = `${s.buffered} B`;
  document.getElementById('close').textContent =
    s.state === 'CLOSED' ? `${s.closeCode}${s.closeReason ? ` “${s.closeReason}”` : ''}` : '–';
  const error = document.getElementById('error');
  let message = '';
  if (s.state === 'CLOSED') {
    if (s.closeCode === -1) message = `Connection lost or refused. ${s.error}`;
    else if (s.closeCode === 1001) message = 'The server is shutting down.';
    else message = `The connection was closed (code ${s.closeCode}).`;
  }
  error.hidden = !message;
  error.textContent = message;
  document.getElementById('reconnect').hidden = s.state !== 'CLOSED';
  const chat = document.getElementById('chat');
  if (chat.childElementCount !== s.chat.length || chat.dataset.last !== JSON.stringify(s.chat.at(-1))) {
    chat.replaceChildren(...s.chat.map((line) => {
      const item = document.createElement('li');
      const who = document.createElement('b');
      who.style.color = line.color;
      who.textContent = `${line.from}: `;
      item.append(who, document.createTextNode(line.text));
      return item;
    }));
    chat.dataset.last = JSON.stringify(s.chat.at(-1));
    chat.scrollTop = chat.scrollHeight;
  }
}

function draw() {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  context.strokeStyle = '#182238';
  for (let i = 1; i < 10; i++) {
    context.beginPath();
    context.moveTo((width * i) / 10, 0);
    context.lineTo((width * i) / 10, height);
    context.moveTo(0, (height * i) / 10);
    context.lineTo(width, (height * i) / 10);
    context.stroke();
  }
  context.font = '13px system-ui, sans-serif';
  context.textAlign = 'center';
  for (const p of snapshot.participants) {
    const x = p.x * width, y = p.y * height;
    context.beginPath();
    context.arc(x, y, 12, 0, Math.PI * 2);
    context.fillStyle = p.color;
    context.fill();
    if (p.id === snapshot.ownId) {
      context.lineWidth = 3;
      context.strokeStyle = '#ffffff';
      context.stroke();
    }
    context.fillStyle = '#e8ecf4';
    context.fillText(p.name, x, y - 18);
  }
  if (snapshot.state !== 'OPEN') {
    context.fillStyle = 'rgba(15, 20, 32, 0.6)';
    context.fillRect(0, 0, width, height);
    context.fillStyle = '#e8ecf4';
    context.font = '18px system-ui, sans-serif';
    context.fillText(snapshot.state === 'CLOSED' ? 'Disconnected' : 'Connecting…', width / 2, height / 2);
  }
}
