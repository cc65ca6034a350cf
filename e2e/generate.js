// The generated test strings, the same as Go's internal/teststrings: for a
// given seed both produce the same UTF-16 code units, so the page can check
// what examples/echo's /generated service sends. A change to one must be
// made to the other (TestSameAsJavaScript compares them).
//
// A plain script: in a page it defines window.e2eGenerate(seed, count),
// which returns an array of strings; under node's vm it defines the same
// global.
(function () {
  "use strict";

  // xorshift32, in 32-bit integer arithmetic as Go's uint32.
  function Rng(seed) {
    var x = (Math.imul(seed >>> 0, 0x9e3779b9) ^ 0x6d2b79f5) >>> 0;
    this.x = x === 0 ? 1 : x;
  }
  Rng.prototype.next = function () {
    var x = this.x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x >>> 0;
    return this.x;
  };
  // intn returns a number in [0, n), for n below 2^21: the product is exact.
  Rng.prototype.intn = function (n) {
    return Math.floor((this.next() * n) / 4294967296);
  };

  Rng.prototype.length = function () {
    var p = this.intn(1000);
    if (p < 50) return 0;
    if (p < 400) return 1 + this.intn(8);
    if (p < 700) return 1 + this.intn(64);
    if (p < 880) return 1 + this.intn(512);
    if (p < 985) return 1 + this.intn(4096);
    return 4096 + this.intn(28 << 10);
  };

  var specialUnits = [
    0x0000, 0x007f, 0x0085, 0x00a0, 0x00ad, 0x0300, 0x0345, 0x0600, 0x0604,
    0x070f, 0x17b4, 0x17b5, 0x1f71, 0x200b, 0x200c, 0x200f, 0x2028, 0x2029,
    0x202a, 0x202f, 0x2060, 0x206f, 0x2126, 0x212a, 0xf900, 0xfeff, 0xfff0,
    0xfffd, 0xfffe, 0xffff
  ];
  var escapeASCII = "%\\\"<>&'/+=?#;[]{},:`\n\r\t ";
  var hexDigits = "0123456789abcdefABCDEF";
  var tokens = [
    "</script>", "<script>", "</SCRIPT >", "<!--", "-->", "]]>", "<![CDATA[",
    "\r\n", "\n\n", "\r\n\r\n", "data: ", "a[\"", "\"]", "[\"", "c[3000,\"Go away!\"]",
    "o", "h", "&amp;", "&#x3c;", "%25", "%%", "%u2028", "%E2%80%A8", "%zz", "%",
    "\\\\", "\\\"", "\\n", "\\u", "\\ud800", "\u2028\u2029", "\ud83d\ude00",
    "\ud83d\udc68\u200d\ud83d\udc69", "e\u0301", "\u4e2d\u6587", "\ufeff", "null", "\u0000\u0000",
    "p(\"", ");", "%0D%0A"
  ];

  Rng.prototype.piece = function (u) {
    var i;
    switch (this.intn(16)) {
      case 0: case 1: case 2: case 3:
        u.push(0x20 + this.intn(95));
        return;
      case 4:
        i = this.intn(33);
        u.push(i < 32 ? i : 0x7f);
        return;
      case 5:
        u.push(0x80 + this.intn(0x80));
        return;
      case 6:
        u.push(0x100 + this.intn(0xd800 - 0x100));
        return;
      case 7:
        u.push(0xe000 + this.intn(0x2000));
        return;
      case 8:
        u.push(specialUnits[this.intn(specialUnits.length)]);
        return;
      case 9:
        u.push(escapeASCII.charCodeAt(this.intn(escapeASCII.length)));
        return;
      case 10:
        u.push(0xd800 + this.intn(0x400));
        u.push(0xdc00 + this.intn(0x400));
        return;
      case 11:
        u.push(0xd800 + this.intn(0x400));
        return;
      case 12:
        u.push(0xdc00 + this.intn(0x400));
        return;
      case 13:
        u.push(0x25);
        for (i = 0; i < 2; i++) u.push(hexDigits.charCodeAt(this.intn(hexDigits.length)));
        return;
      case 14:
        u.push(0x5c, 0x75);
        for (i = 0; i < 4; i++) u.push(hexDigits.charCodeAt(this.intn(hexDigits.length)));
        return;
      default: {
        var t = tokens[this.intn(tokens.length)];
        for (i = 0; i < t.length; i++) u.push(t.charCodeAt(i));
      }
    }
  };

  function fromUnits(u) {
    var s = "";
    for (var i = 0; i < u.length; i += 8192) {
      s += String.fromCharCode.apply(null, u.slice(i, i + 8192));
    }
    return s;
  }

  globalThis.e2eGenerate = function (seed, count) {
    var r = new Rng(seed);
    var out = [];
    for (var k = 0; k < count; k++) {
      var n = r.length();
      var u = [];
      while (u.length < n) r.piece(u);
      out.push(fromUnits(u.slice(0, n)));
    }
    return out;
  };
})();
