// A deliberately simple UTF-8 reference (RFC 3629, decoded code point by code point), used to
// check the fast validator in unit tests and differentially in the fuzzer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wsp::test {

// A deliberately simple reference: decode code points one by one by the RFC 3629 rules.
// Returns the index of the first byte at which no valid continuation exists, or size if the
// whole input is a valid prefix. `complete` says whether it also ends on a code point.
inline size_t reference_first_bad(const std::vector<uint8_t>& s, bool* complete) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b = s[i];
    int need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need = 2;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      need = 3;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    size_t j = 1;
    for (; j <= static_cast<size_t>(need); ++j) {
      if (i + j >= s.size()) {
        *complete = false;
        return s.size();
      }
      const uint8_t c = s[i + j];
      const uint8_t l = j == 1 ? lo : 0x80, h = j == 1 ? hi : 0xBF;
      if (c < l || c > h) return i + j;
    }
    i += need + 1;
  }
  *complete = true;
  return s.size();
}

}  // namespace wsp::test
