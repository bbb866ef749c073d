#include "wspeer/core/prepared_message.h"

#include <cstring>

#include "wspeer/core/frame.h"
#include "wspeer/core/utf8.h"

namespace wsp {

Error PreparedMessage::prepare(std::span<const uint8_t> payload, bool is_text) {
  if (is_text && !is_valid_utf8(payload.data(), payload.size())) return ERR_INVALID_DATA;
  // Two owners (frame_ and shared_) means no queue refers to it any more.
  if (!frame_ || frame_.use_count() > 2) {
    shared_.reset();
    frame_ = std::make_shared<std::vector<uint8_t>>();
    shared_ = frame_;
  }
  std::vector<uint8_t>& bytes = *frame_;
  bytes.resize(kMaxFrameHeaderSize + payload.size());
  header_size_ = write_frame_header(bytes.data(), true, is_text ? OPCODE_TEXT : OPCODE_BINARY,
                                    payload.size(), nullptr);
  if (!payload.empty()) std::memcpy(bytes.data() + header_size_, payload.data(), payload.size());
  bytes.resize(header_size_ + payload.size());
  is_text_ = is_text;
  return OK;
}

std::span<const uint8_t> PreparedMessage::payload() const {
  if (!frame_) return {};
  return {frame_->data() + header_size_, frame_->size() - header_size_};
}

}  // namespace wsp
