#include "batch/Decompress.h"

#include "support/Error.h"

#include <fmt/format.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace pyautopsy::batch {
namespace {

constexpr std::size_t kChunk = 256 * 1024;
constexpr std::size_t kZeroBlock = 4096;

[[noreturn]] void fail(const std::string& path, const std::string& why)
{
    throw Error(ErrorKind::BadInput, fmt::format("{}: {}", path, why));
}

// A buffer the decoder fills before anything reads it: not zero-filled, as
// a vector would be (a per-file cost that dominated fuzzing the decoders).
class Scratch {
public:
    explicit Scratch(std::size_t size) : m_data(std::make_unique_for_overwrite<std::uint8_t[]>(size)), m_size(size) {}
    std::uint8_t* data() { return m_data.get(); }
    std::size_t size() const { return m_size; }

private:
    std::unique_ptr<std::uint8_t[]> m_data;
    std::size_t m_size;
};

class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() { if (m_fd >= 0) ::close(m_fd); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

// Reads the compressed file in chunks.
class Source {
public:
    explicit Source(const std::string& path) : m_path(path), m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC))
    {
        if (m_fd.get() < 0) fail(path, std::strerror(errno));
    }
    // The next chunk; empty at end of file.
    std::span<const std::uint8_t> next()
    {
        ssize_t n;
        do n = ::read(m_fd.get(), m_buffer.data(), m_buffer.size());
        while (n < 0 && errno == EINTR);
        if (n < 0) fail(m_path, std::strerror(errno));
        return {m_buffer.data(), static_cast<std::size_t>(n)};
    }

private:
    std::string m_path;
    Fd m_fd;
    Scratch m_buffer{kChunk};
};

// Writes the decompressed bytes, leaving holes for zero blocks and enforcing the cap.
class Sink {
public:
    Sink(const std::string& source, const std::string& path, std::uint64_t maxBytes)
        : m_source(source), m_path(path),
          m_fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)), m_maxBytes(maxBytes)
    {
        if (m_fd.get() < 0) throw Error(ErrorKind::System, fmt::format("{}: {}", path, std::strerror(errno)));
    }

    void write(const std::uint8_t* data, std::size_t size)
    {
        if (m_written + size > m_maxBytes)
            fail(m_source, fmt::format("decompresses to more than {} bytes (the size cap)", m_maxBytes));
        while (size > 0) {
            // Align runs to kZeroBlock boundaries of the output so holes are whole blocks.
            const std::size_t toBoundary = kZeroBlock - static_cast<std::size_t>(m_written % kZeroBlock);
            const std::size_t n = std::min(size, toBoundary);
            const bool zeros = n == kZeroBlock && std::all_of(data, data + n, [](std::uint8_t b) { return b == 0; });
            if (zeros) {
                if (::lseek(m_fd.get(), static_cast<off_t>(n), SEEK_CUR) < 0) writeFailed();
            } else {
                std::size_t done = 0;
                while (done < n) {
                    const ssize_t w = ::write(m_fd.get(), data + done, n - done);
                    if (w < 0 && errno == EINTR) continue;
                    if (w <= 0) writeFailed();
                    done += static_cast<std::size_t>(w);
                }
            }
            m_written += n;
            data += n;
            size -= n;
        }
    }

    // Gives the file its full length (a trailing hole has no bytes yet).
    void finish()
    {
        if (::ftruncate(m_fd.get(), static_cast<off_t>(m_written)) != 0) writeFailed();
    }

private:
    [[noreturn]] void writeFailed()
    {
        throw Error(ErrorKind::System, fmt::format("{}: {}", m_path, std::strerror(errno)));
    }

    std::string m_source;
    std::string m_path;
    Fd m_fd;
    std::uint64_t m_maxBytes;
    std::uint64_t m_written = 0;
};

// One zstd context per thread, reset for each file: creating one (its
// tables, then the window it allocates) costs more than decoding a small
// file, and a batch worker decodes file after file.
ZSTD_DStream* threadZstdStream(const std::string& path)
{
    thread_local std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> stream(ZSTD_createDStream(), ZSTD_freeDStream);
    if (!stream) fail(path, "out of memory");
    // A file that failed half-way leaves the context mid-frame.
    if (ZSTD_isError(ZSTD_DCtx_reset(stream.get(), ZSTD_reset_session_only))) fail(path, "zstd: cannot reset the decoder");
    return stream.get();
}

void zstdDecompress(const std::string& path, Source& in, Sink& out)
{
    ZSTD_DStream* stream = threadZstdStream(path);
    Scratch buffer(ZSTD_DStreamOutSize());
    std::size_t last = 1;  // 0 once a frame is complete
    for (auto chunk = in.next(); !chunk.empty(); chunk = in.next()) {
        ZSTD_inBuffer input{chunk.data(), chunk.size(), 0};
        while (input.pos < input.size) {
            ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
            last = ZSTD_decompressStream(stream, &output, &input);
            if (ZSTD_isError(last)) fail(path, fmt::format("zstd: {}", ZSTD_getErrorName(last)));
            out.write(buffer.data(), output.pos);
        }
    }
    // Flush what the decoder still holds.
    while (last != 0) {
        ZSTD_inBuffer input{nullptr, 0, 0};
        ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
        last = ZSTD_decompressStream(stream, &output, &input);
        if (ZSTD_isError(last)) fail(path, fmt::format("zstd: {}", ZSTD_getErrorName(last)));
        if (output.pos == 0) break;
        out.write(buffer.data(), output.pos);
    }
    if (last != 0) fail(path, "zstd: the compressed file is truncated");
}

void lz4Decompress(const std::string& path, Source& in, Sink& out)
{
    LZ4F_dctx* raw = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) fail(path, "out of memory");
    std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> context(raw, LZ4F_freeDecompressionContext);
    // LZ4F keeps what does not fit (a block is up to 4 MiB) for the next call.
    Scratch buffer(kChunk);
    std::size_t hint = 1;
    for (auto chunk = in.next(); !chunk.empty(); chunk = in.next()) {
        const std::uint8_t* src = chunk.data();
        std::size_t left = chunk.size();
        while (left > 0) {
            std::size_t produced = buffer.size(), consumed = left;
            hint = LZ4F_decompress(context.get(), buffer.data(), &produced, src, &consumed, nullptr);
            if (LZ4F_isError(hint)) fail(path, fmt::format("lz4: {}", LZ4F_getErrorName(hint)));
            out.write(buffer.data(), produced);
            src += consumed;
            left -= consumed;
            if (hint == 0 && left > 0) hint = 1;  // concatenated frames: keep going
        }
    }
    // Output the decoder may still hold for the bytes already consumed.
    while (hint != 0) {
        std::size_t produced = buffer.size(), consumed = 0;
        hint = LZ4F_decompress(context.get(), buffer.data(), &produced, nullptr, &consumed, nullptr);
        if (LZ4F_isError(hint)) fail(path, fmt::format("lz4: {}", LZ4F_getErrorName(hint)));
        if (produced == 0) break;
        out.write(buffer.data(), produced);
    }
    if (hint != 0) fail(path, "lz4: the compressed file is truncated");
}

void xzDecompress(const std::string& path, Source& in, Sink& out)
{
    lzma_stream stream = LZMA_STREAM_INIT;
    // Decoder memory is capped (1 GiB covers xz -9e's 674 MiB); concatenated streams allowed.
    if (lzma_stream_decoder(&stream, std::uint64_t{1} << 30, LZMA_CONCATENATED) != LZMA_OK) fail(path, "xz: cannot start");
    std::unique_ptr<lzma_stream, decltype(&lzma_end)> guard(&stream, lzma_end);
    Scratch buffer(kChunk);
    bool done = false;
    std::span<const std::uint8_t> chunk = in.next();
    lzma_action action = chunk.empty() ? LZMA_FINISH : LZMA_RUN;
    stream.next_in = chunk.data();
    stream.avail_in = chunk.size();
    while (!done) {
        if (stream.avail_in == 0 && action == LZMA_RUN) {
            chunk = in.next();
            stream.next_in = chunk.data();
            stream.avail_in = chunk.size();
            if (chunk.empty()) action = LZMA_FINISH;
        }
        stream.next_out = buffer.data();
        stream.avail_out = buffer.size();
        const lzma_ret ret = lzma_code(&stream, action);
        out.write(buffer.data(), buffer.size() - stream.avail_out);
        if (ret == LZMA_STREAM_END) done = true;
        else if (ret == LZMA_BUF_ERROR) fail(path, "xz: the compressed file is truncated");
        else if (ret != LZMA_OK) fail(path, fmt::format("xz: corrupt data (lzma error {})", static_cast<int>(ret)));
    }
}

void gzipDecompress(const std::string& path, Source& in, Sink& out)
{
    z_stream stream{};
    if (inflateInit2(&stream, 15 + 32) != Z_OK) fail(path, "gzip: cannot start");  // +32: gzip or zlib header
    std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&stream, inflateEnd);
    Scratch buffer(kChunk);
    int ret = Z_OK;
    for (auto chunk = in.next(); !chunk.empty(); chunk = in.next()) {
        stream.next_in = const_cast<Bytef*>(chunk.data());  // zlib's API is not const-correct
        stream.avail_in = static_cast<uInt>(chunk.size());
        while (stream.avail_in > 0) {
            stream.next_out = buffer.data();
            stream.avail_out = static_cast<uInt>(buffer.size());
            ret = inflate(&stream, Z_NO_FLUSH);
            if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
                fail(path, fmt::format("gzip: corrupt data ({})", stream.msg ? stream.msg : "zlib error"));
            out.write(buffer.data(), buffer.size() - stream.avail_out);
            if (ret == Z_STREAM_END) {
                if (stream.avail_in == 0) break;
                // gzip allows concatenated members (`cat a.gz b.gz`).
                if (inflateReset(&stream) != Z_OK) fail(path, "gzip: cannot restart");
            } else if (ret == Z_BUF_ERROR && stream.avail_out != 0) {
                break;  // needs more input
            }
        }
    }
    if (ret != Z_STREAM_END) fail(path, "gzip: the compressed file is truncated");
}

}  // namespace

Compression sniffCompression(std::span<const std::uint8_t> h)
{
    if (h.size() >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd) return Compression::Zstd;
    if (h.size() >= 4 && h[0] == 0x04 && h[1] == 0x22 && h[2] == 0x4d && h[3] == 0x18) return Compression::Lz4;
    if (h.size() >= 6 && h[0] == 0xfd && h[1] == '7' && h[2] == 'z' && h[3] == 'X' && h[4] == 'Z' && h[5] == 0)
        return Compression::Xz;
    if (h.size() >= 2 && h[0] == 0x1f && h[1] == 0x8b) return Compression::Gzip;
    return Compression::None;
}

void decompressFile(const std::string& source, Compression compression, const std::string& destination,
                    std::uint64_t maxBytes)
{
    Source in(source);
    Sink out(source, destination, maxBytes);
    switch (compression) {
    case Compression::Zstd: zstdDecompress(source, in, out); break;
    case Compression::Lz4: lz4Decompress(source, in, out); break;
    case Compression::Xz: xzDecompress(source, in, out); break;
    case Compression::Gzip: gzipDecompress(source, in, out); break;
    case Compression::None: fail(source, "not compressed");
    }
    out.finish();
}

}  // namespace pyautopsy::batch
