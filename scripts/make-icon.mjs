// Draws the Marketplace icon, images/icon.png (128×128 RGBA): the event loop as a ring with an arrowhead,
// guarded by a shield with a check mark. Shapes are tested per sample, 4×4 samples a pixel for anti-aliasing,
// and written as a PNG with node:zlib, so the icon needs no image tool and can be regenerated anywhere:
//   node scripts/make-icon.mjs [out.png]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const SIZE = 128;
const SS = 4; // samples per pixel edge
const out = process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'images', 'icon.png');

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const BG_TOP = hex('#24344a');
const BG_BOTTOM = hex('#16202d');
const LOOP = hex('#3fd6c6');
const SHIELD = hex('#ffb547');
const CHECK = hex('#1b2636');

const C = 64; // centre
const R = 41; // ring radius
const RING_HALF = 6.5; // half the ring's thickness
const ARC_START = -35; // degrees, screen coordinates (y down, so increasing angles turn clockwise)
const ARC_END = 268;

const rad = (deg) => (deg * Math.PI) / 180;

function inRoundedSquare(x, y, r = 26) {
  const dx = Math.max(r - x, 0, x - (SIZE - r));
  const dy = Math.max(r - y, 0, y - (SIZE - r));
  return dx * dx + dy * dy <= r * r;
}

function inRing(x, y) {
  const d = Math.hypot(x - C, y - C);
  if (Math.abs(d - R) > RING_HALF) return false;
  let a = (Math.atan2(y - C, x - C) * 180) / Math.PI;
  while (a < ARC_START) a += 360;
  return a <= ARC_END;
}

function inTriangle(px, py, [a, b, c]) {
  const s = (p, q, r) => (p[0] - r[0]) * (q[1] - r[1]) - (q[0] - r[0]) * (p[1] - r[1]);
  const p = [px, py];
  const d1 = s(p, a, b);
  const d2 = s(p, b, c);
  const d3 = s(p, c, a);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

// the arrowhead continues the ring clockwise from its end
const end = rad(ARC_END);
const E = [C + R * Math.cos(end), C + R * Math.sin(end)];
const radial = [Math.cos(end), Math.sin(end)];
const tangent = [-Math.sin(end), Math.cos(end)];
const ARROW = [
  [E[0] + radial[0] * 14, E[1] + radial[1] * 14],
  [E[0] - radial[0] * 14, E[1] - radial[1] * 14],
  [E[0] + tangent[0] * 17, E[1] + tangent[1] * 17],
];

// shield: straight top with a small peak, sides that curve in to a point
function shieldPolygon() {
  const pts = [[45, 44], [64, 37], [83, 44], [83, 60]];
  const quad = (p0, p1, p2, n) => Array.from({ length: n }, (_, i) => {
    const t = (i + 1) / n;
    return [(1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t * t * p2[0], (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t * t * p2[1]];
  });
  pts.push(...quad([83, 60], [82, 80], [64, 91], 24));
  pts.push(...quad([64, 91], [46, 80], [45, 60], 24));
  return pts;
}
const SHIELD_POLY = shieldPolygon();

function inPolygon(x, y, poly) {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function nearSegment(x, y, [ax, ay], [bx, by], half) {
  const vx = bx - ax;
  const vy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
  return Math.hypot(x - (ax + t * vx), y - (ay + t * vy)) <= half;
}

function inCheck(x, y) {
  const a = [54, 63];
  const b = [61.5, 71];
  const c = [75, 54];
  return nearSegment(x, y, a, b, 3.6) || nearSegment(x, y, b, c, 3.6);
}

/** Colour of one sample, or undefined outside the icon (transparent). */
function sample(x, y) {
  if (!inRoundedSquare(x, y)) return undefined;
  if (inPolygon(x, y, SHIELD_POLY)) return inCheck(x, y) ? CHECK : SHIELD;
  if (inRing(x, y) || inTriangle(x, y, ARROW)) return LOOP;
  const t = y / SIZE;
  return BG_TOP.map((v, i) => v + (BG_BOTTOM[i] - v) * t);
}

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let py = 0; py < SIZE; py++) {
  raw[py * (SIZE * 4 + 1)] = 0; // filter: none
  for (let px = 0; px < SIZE; px++) {
    const acc = [0, 0, 0];
    let covered = 0;
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const c = sample(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS);
        if (!c) continue;
        covered++;
        for (let i = 0; i < 3; i++) acc[i] += c[i];
      }
    }
    const o = py * (SIZE * 4 + 1) + 1 + px * 4;
    for (let i = 0; i < 3; i++) raw[o + i] = covered ? Math.round(acc[i] / covered) : 0;
    raw[o + 3] = Math.round((255 * covered) / (SS * SS));
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, png);
console.log(`${out}: ${SIZE}x${SIZE}, ${png.length} bytes`);
