// tp_example_consumer.cpp: the consumer example in C++17. The C handles are owned by
// std::unique_ptr with deleters that call the matching tp_*_close, failures become
// exceptions carrying tp_errmsg(), and frames arrive through tp_consumer_poll_frames.
//
// Same contract as tp_example_consumer: the last line on stdout is
// "received N frames, M bad"; exit 0 when TP_COUNT frames (or TP_MIN_COUNT if set)
// arrived within TP_TIMEOUT_MS of attaching and none was bad. Settings: see
// tp_example_common.h.
#include "tp_example_common.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace tensorpool
{

struct ContextDeleter
{
    void operator()(tp_context_t *ctx) const noexcept { tp_context_close(ctx); }
};
struct ClientDeleter
{
    void operator()(tp_client_t *client) const noexcept { tp_client_close(client); }
};
struct ConsumerDeleter
{
    void operator()(tp_consumer_t *consumer) const noexcept { tp_consumer_close(consumer); }
};

using Context = std::unique_ptr<tp_context_t, ContextDeleter>;
using Client = std::unique_ptr<tp_client_t, ClientDeleter>;
using Consumer = std::unique_ptr<tp_consumer_t, ConsumerDeleter>;

// A failed call: what was called, the code and the library's message for this thread.
class Error : public std::runtime_error
{
public:
    Error(const std::string &what, tp_err_t code)
        : std::runtime_error(what + " failed: " + tp_err_str(code) + " (" + std::to_string(static_cast<int>(code)) +
                             "): " + tp_errmsg()),
          code_(code)
    {
    }

    tp_err_t code() const noexcept { return code_; }

private:
    tp_err_t code_;
};

inline void check(tp_err_t err, const char *what)
{
    if (err != TP_OK)
    {
        throw Error(what, err);
    }
}

inline Context make_context(const tp_example_settings_t &settings)
{
    tp_context_t *raw = nullptr;
    check(tp_context_init(&raw), "tp_context_init");
    Context ctx(raw);
    if (!tp_example_configure(ctx.get(), &settings))
    {
        throw std::runtime_error("configuring the context failed");
    }
    return ctx;
}

inline Client connect(const Context &ctx)
{
    tp_client_t *raw = nullptr;
    check(tp_client_connect(ctx.get(), &raw), "tp_client_connect");
    return Client(raw);
}

inline Consumer attach_consumer(const Client &client, std::uint32_t stream_id)
{
    tp_consumer_t *raw = nullptr;
    check(tp_attach_consumer(client.get(), stream_id, &raw), "tp_attach_consumer");
    return Consumer(raw);
}

// Checks and counts the frames one consumer hands over.
class FrameChecker
{
public:
    FrameChecker(const tp_consumer_t *consumer, std::uint32_t payload_bytes) noexcept
        : consumer_(consumer), payload_bytes_(payload_bytes), tally_()
    {
        tally_.last_frame_ns = tp_example_now_ns();
    }

    // Polls once; returns the number of frames handled.
    int poll(tp_consumer_t *consumer, int fragment_limit)
    {
        const int n = tp_consumer_poll_frames(consumer, &FrameChecker::on_frame, this, fragment_limit);
        if (n < 0)
        {
            throw Error("tp_consumer_poll_frames", static_cast<tp_err_t>(n));
        }
        return n;
    }

    const tp_example_tally_t &tally() const noexcept { return tally_; }

private:
    // Called from inside the library: it must not throw.
    static void on_frame(void *clientd, const tp_frame_view_t *frame) noexcept
    {
        auto *self = static_cast<FrameChecker *>(clientd);
        tp_example_tally_frame(&self->tally_, self->consumer_, frame, self->payload_bytes_);
    }

    const tp_consumer_t *consumer_;
    std::uint32_t payload_bytes_;
    tp_example_tally_t tally_;
};

} // namespace tensorpool

int main()
{
    tp_example_settings_t settings;
    if (!tp_example_settings_load(&settings))
    {
        return 2;
    }

    try
    {
        auto ctx = tensorpool::make_context(settings);
        auto client = tensorpool::connect(ctx);
        ctx.reset(); // tp_client_connect copied the settings
        auto consumer = tensorpool::attach_consumer(client, settings.stream_id);

        tensorpool::FrameChecker checker(consumer.get(), settings.payload_bytes);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(settings.timeout_ns);
        try
        {
            while (std::chrono::steady_clock::now() < deadline &&
                   !tp_example_tally_done(&checker.tally(), &settings, tp_example_now_ns()))
            {
                if (checker.poll(consumer.get(), 16) == 0)
                {
                    std::this_thread::sleep_for(std::chrono::microseconds(100));
                }
            }
        }
        catch (const tensorpool::Error &e)
        {
            // The lease is gone (e.g. the producer left): judge what arrived.
            if (e.code() != TP_ERR_PROTOCOL)
            {
                throw;
            }
            std::fprintf(stderr, "%s\n", e.what());
        }

        // Returning closes consumer, then client: the reverse order of creation.
        if (!tp_example_print_consumer_stats(consumer.get()))
        {
            return 1;
        }
        return tp_example_tally_report(&checker.tally(), &settings);
    }
    catch (const std::exception &e)
    {
        std::fprintf(stderr, "%s\n", e.what());
        std::fflush(stdout);
        return 1;
    }
}
