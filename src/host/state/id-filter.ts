/**
 * A Bloom filter over strings, grown by adding layers (a scalable Bloom filter): "no" is certain, "maybe" is
 * checked on disk by the caller. ~16 bits an id, 11 hashes: about 1 false "maybe" in 2,000 while a layer is
 * within its capacity. Hand-written (40 lines): the npm ones bring several dependencies for the same arithmetic.
 */

/** FNV-1a over UTF-16 code units with a seed: two of them give every probe (Kirsch–Mitzenmacher). */
function fnv(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const K = 11;
const BITS_PER_ID = 16;

class Layer {
  readonly bits: Uint32Array;
  readonly mask: number;
  count = 0;
  constructor(readonly capacity: number) {
    let m = 1 << 16;
    while (m < capacity * BITS_PER_ID) m *= 2;
    this.bits = new Uint32Array(m / 32);
    this.mask = m - 1;
  }
  add(h1: number, h2: number): void {
    for (let i = 0; i < K; i++) {
      const b = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[b >>> 5]! |= 1 << (b & 31);
    }
    this.count++;
  }
  has(h1: number, h2: number): boolean {
    for (let i = 0; i < K; i++) {
      const b = (h1 + Math.imul(i, h2)) & this.mask;
      if ((this.bits[b >>> 5]! & (1 << (b & 31))) === 0) return false;
    }
    return true;
  }
}

export class IdFilter {
  private readonly layers: Layer[];
  constructor(capacity = 1 << 16) {
    this.layers = [new Layer(capacity)];
  }
  add(id: string): void {
    let top = this.layers[this.layers.length - 1]!;
    if (top.count >= top.capacity) this.layers.push((top = new Layer(top.capacity * 2)));
    top.add(fnv(id, 2166136261), fnv(id, 0x9747b28c) | 1);
  }
  /** false: certainly never added; true: probably added (check it). */
  mightHave(id: string): boolean {
    const h1 = fnv(id, 2166136261), h2 = fnv(id, 0x9747b28c) | 1;
    return this.layers.some((l) => l.has(h1, h2));
  }
  get size(): number {
    return this.layers.reduce((n, l) => n + l.count, 0);
  }
  get bytes(): number {
    return this.layers.reduce((n, l) => n + l.bits.byteLength, 0);
  }
}
