// Differential fuzzing of the UTF-8 validator against a simple reference: same verdict, same
// first failing byte, whatever the split.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "wspeer/core/utf8.h"
#include "tests/core/utf8_reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  bool complete = false;
  const size_t first_bad = wsp::test::reference_first_bad(bytes, &complete);
  const bool valid = first_bad == size && complete;
  if (wsp::is_valid_utf8(data, size) != valid) __builtin_trap();
  // Fed in pieces, the validator fails at exactly the reference's first bad byte.
  wsp::Utf8Validator validator;
  size_t position = 0;
  bool failed = false;
  const size_t step = size ? 1 + data[0] % 7 : 1;
  while (position < size && !failed) {
    const size_t take = size - position < step ? size - position : step;
    if (!validator.feed(data + position, take)) {
      failed = true;
      // The failing byte lies in this piece and is the reference's first bad byte.
      if (first_bad < position || first_bad >= position + take) __builtin_trap();
    }
    position += take;
  }
  if (failed != (first_bad != size)) __builtin_trap();
  if (!failed && validator.at_boundary() != complete) __builtin_trap();
  return 0;
}
