#include "wspeer/core/deflate/zlib_compressor.h"

#include <zlib.h>

#include <cstring>
#include <deque>
#include <new>

#include "wspeer/core/byte_buffer.h"

namespace wsp {
namespace {

constexpr uint8_t kTail[4] = {0x00, 0x00, 0xFF, 0xFF};

// zlib's allocations are counted, so memory_held() reports what a connection really holds.
struct Counted {
  size_t bytes = 0;
};

void* counted_alloc(void* opaque, unsigned items, unsigned size) {
  const size_t bytes = static_cast<size_t>(items) * size;
  auto* block = static_cast<size_t*>(::operator new(bytes + sizeof(size_t), std::nothrow));
  if (!block) return Z_NULL;
  *block = bytes;
  static_cast<Counted*>(opaque)->bytes += bytes;
  return block + 1;
}

void counted_free(void* opaque, void* address) {
  size_t* block = static_cast<size_t*>(address) - 1;
  static_cast<Counted*>(opaque)->bytes -= *block;
  ::operator delete(block);
}

// Without context takeover nothing of one message's compression is needed for the next, so the
// connections of a thread share one compressor per parameter set: it stays in the cache (a
// compressor is mostly tables that are cleared for every message), and no connection holds one.
class SharedDeflaters {
 public:
  ~SharedDeflaters() {
    for (Entry& entry : entries_) deflateEnd(&entry.stream);
  }

  z_stream* get(int bits, int level, int memory_level) {
    for (Entry& entry : entries_) {
      if (entry.bits == bits && entry.level == level && entry.memory_level == memory_level) {
        return &entry.stream;
      }
    }
    entries_.emplace_back();
    Entry& entry = entries_.back();
    entry.bits = bits;
    entry.level = level;
    entry.memory_level = memory_level;
    if (deflateInit2(&entry.stream, level, Z_DEFLATED, -bits, memory_level, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
      entries_.pop_back();
      return nullptr;
    }
    return &entry.stream;
  }

 private:
  struct Entry {
    int bits = 0, level = 0, memory_level = 0;
    z_stream stream{};
  };
  std::deque<Entry> entries_;  // stable addresses: zlib's state points back at its stream
};

class ZlibCompressor final : public MessageCompressor {
 public:
  ZlibCompressor(const DeflateAgreement& agreement, const DeflateOptions& options, bool is_server)
      : inflate_bits_(is_server ? agreement.client_max_window_bits
                                : agreement.server_max_window_bits),
        deflate_bits_(is_server ? agreement.server_max_window_bits
                                : agreement.client_max_window_bits),
        reset_inflater_(is_server ? agreement.client_no_context_takeover
                                  : agreement.server_no_context_takeover),
        reset_deflater_(is_server ? agreement.server_no_context_takeover
                                  : agreement.client_no_context_takeover),
        level_(options.compression_level),
        memory_level_(options.memory_level),
        threshold_(options.compression_threshold) {}

  ~ZlibCompressor() override {
    end_inflater();
    end_deflater();
  }

  InflateStep inflate(const uint8_t* in, size_t size, uint8_t* out, size_t room) override {
    InflateStep step;
    if (!inflater_ && !start_inflater()) {
      step.corrupt = true;
      error_ = "out of memory for the decompressor";
      return step;
    }
    // zlib counts in 32-bit units; larger inputs are taken over several calls.
    inflater_->next_in = const_cast<uint8_t*>(in);
    inflater_->avail_in = static_cast<uInt>(std::min<size_t>(size, UINT32_MAX));
    inflater_->next_out = out;
    inflater_->avail_out = static_cast<uInt>(std::min<size_t>(room, UINT32_MAX));
    const uInt in_before = inflater_->avail_in;
    const uInt out_before = inflater_->avail_out;
    const int status = ::inflate(inflater_.get(), Z_SYNC_FLUSH);
    step.consumed = in_before - inflater_->avail_in;
    step.produced = out_before - inflater_->avail_out;
    if (status == Z_STREAM_END) {
      // The sender ended its DEFLATE stream (a final block): what follows starts a new one.
      inflateReset(inflater_.get());
    } else if (status != Z_OK && status != Z_BUF_ERROR) {
      step.corrupt = true;
      error_ = inflater_->msg ? inflater_->msg : "zlib error " + std::to_string(status);
    }
    return step;
  }

  void end_inbound_message() override {
    if (reset_inflater_ && inflater_) inflateReset(inflater_.get());
  }

  bool compresses(size_t size) const override {
    // zlib has no raw DEFLATE compressor with a 256-byte window (it would use 512 bytes, which
    // the peer may not accept): with 8 bits agreed for our side, messages go uncompressed.
    return size > 0 && size >= threshold_ && deflate_bits_ > 8;
  }

  std::span<const uint8_t> deflate_message(const uint8_t* data, size_t size) override {
    z_stream* const deflater = message_deflater();
    if (!deflater) return {};
    thread_local ByteBuffer output;
    output.clear();
    deflater->next_in = const_cast<uint8_t*>(data);
    size_t left = size;
    // Sync-flushed DEFLATE data ends with 00 00 FF FF; a few bytes beyond the bound make sure
    // the first round usually finishes.
    size_t room =
        deflateBound(deflater, static_cast<uLong>(std::min<size_t>(size, UINT32_MAX))) + 16;
    for (;;) {
      const uInt chunk = static_cast<uInt>(std::min<size_t>(left, UINT32_MAX));
      deflater->avail_in = chunk;
      uint8_t* out = output.prepare(room);
      deflater->next_out = out;
      deflater->avail_out = static_cast<uInt>(std::min<size_t>(room, UINT32_MAX));
      const uInt out_before = deflater->avail_out;
      const int status = ::deflate(deflater, left > chunk ? Z_NO_FLUSH : Z_SYNC_FLUSH);
      output.commit(out_before - deflater->avail_out);
      left -= chunk - deflater->avail_in;
      if (status != Z_OK && status != Z_BUF_ERROR) {
        deflateReset(deflater);  // a shared compressor must be left ready for the next message
        return {};
      }
      if (left == 0 && deflater->avail_out != 0) break;
      room = 64 * 1024;
    }
    if (reset_deflater_) deflateReset(deflater);
    // §7.2.1: the tail is removed; a sync flush always ends with it.
    if (output.size() < sizeof(kTail) ||
        std::memcmp(output.data() + output.size() - sizeof(kTail), kTail, sizeof(kTail)) != 0) {
      return {};
    }
    return {output.data(), output.size() - sizeof(kTail)};
  }

  void release_if_idle() override {
    // Without context takeover nothing is kept between messages: an idle connection frees it.
    if (reset_inflater_) end_inflater();
  }

  bool holds_releasable_memory() const override { return reset_inflater_ && inflater_ != nullptr; }

  size_t memory_held() const override {
    return counted_.bytes + (inflater_ ? sizeof(z_stream) : 0) + (deflater_ ? sizeof(z_stream) : 0);
  }

  std::string error() const override { return error_; }

 private:
  z_stream* fresh_stream() {
    auto* stream = new (std::nothrow) z_stream{};
    if (!stream) return nullptr;
    stream->zalloc = counted_alloc;
    stream->zfree = counted_free;
    stream->opaque = &counted_;
    return stream;
  }

  bool start_inflater() {
    std::unique_ptr<z_stream> stream(fresh_stream());
    // Negative window bits: raw DEFLATE, no zlib header (RFC 7692 §7.2).
    if (!stream || inflateInit2(stream.get(), -inflate_bits_) != Z_OK) return false;
    inflater_ = std::move(stream);
    return true;
  }

  z_stream* message_deflater() {
    if (reset_deflater_) {
      thread_local SharedDeflaters shared;
      return shared.get(deflate_bits_, level_, memory_level_);
    }
    if (!deflater_ && !start_deflater()) return nullptr;
    return deflater_.get();
  }

  bool start_deflater() {
    std::unique_ptr<z_stream> stream(fresh_stream());
    if (!stream || deflateInit2(stream.get(), level_, Z_DEFLATED, -deflate_bits_, memory_level_,
                                Z_DEFAULT_STRATEGY) != Z_OK) {
      return false;
    }
    deflater_ = std::move(stream);
    return true;
  }

  void end_inflater() {
    if (!inflater_) return;
    inflateEnd(inflater_.get());
    inflater_.reset();
  }

  void end_deflater() {
    if (!deflater_) return;
    deflateEnd(deflater_.get());
    deflater_.reset();
  }

  const int inflate_bits_;
  const int deflate_bits_;
  const bool reset_inflater_;
  const bool reset_deflater_;
  const int level_;
  const int memory_level_;
  const size_t threshold_;
  Counted counted_;
  std::unique_ptr<z_stream> inflater_;
  std::unique_ptr<z_stream> deflater_;
  std::string error_;
};

}  // namespace

std::unique_ptr<MessageCompressor> make_zlib_compressor(const DeflateAgreement& agreement,
                                                        const DeflateOptions& options,
                                                        bool is_server) {
  return std::make_unique<ZlibCompressor>(agreement, options, is_server);
}

}  // namespace wsp
