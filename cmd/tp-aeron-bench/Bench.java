// Java side of tp-aeron-bench: the official Java client doing exactly what
// the Go side (cmd/tp-aeron-bench/main.go) does, on the same driver. The
// harness compiles it with javac -cp aeron-all.jar and runs it as a server,
// so Java and Go rounds can alternate and share the machine's conditions:
//   Bench <aeron.dir>
// then one command per stdin line, one answer per stdout line:
//   tp <stream> <size> <count>  throughput round: on the stream's
//       publication (concurrent, aeron:ipc) and subscription (set up on first
//       use, one client), a subscriber thread busy-polls while the main
//       thread publishes count messages by tryClaim/commit (the message index
//       in the first 8 bytes). Answers "rate <messages per second>", timed
//       from the first claim to the subscriber's last fragment.
//   pp <stream> <size> <count>  ping-pong round: pings on <stream>, pongs on
//       <stream>+1 (set up on first use); a pong thread started for the
//       round echoes each ping by tryClaim/commit; the main thread sends one ping at a time (its send
//       time in the first 8 bytes) and busy-polls for its pong. Answers
//       "rtt <p50 ns> <p99 ns>".
//   quit
import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.FragmentHandler;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

public class Bench
{
    static final String CHANNEL = "aeron:ipc";
    static final int FRAGMENT_LIMIT = 256;

    static void awaitConnected(final Publication pub, final Subscription sub) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!pub.isConnected() || !sub.isConnected())
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("not connected within 30s");
            }
            Thread.sleep(1);
        }
    }

    // Objects written by different threads are allocated with PAD bytes of
    // garbage between them, so they do not share cache lines (allocation is
    // sequential within a thread's TLAB). The Go side pads its structs alike.
    static final int PAD = 128;
    static final Object[] KEEP = new Object[16];
    static int kept;

    // A result that retrying will not fix (the driver went away): give up.
    static void checkFatal(final long result)
    {
        if (result == Publication.CLOSED || result == Publication.NOT_CONNECTED ||
            result == Publication.MAX_POSITION_EXCEEDED)
        {
            System.err.println("java tryClaim: result " + result);
            System.exit(3);
        }
    }

    static <T> T padded(final T object)
    {
        KEEP[kept++ % KEEP.length] = new byte[PAD];
        return object;
    }

    static final class Receiver
    {
        long count;
        long received;
        long sum;
        long endNs;
        final FragmentHandler handler = (buffer, offset, length, header) ->
        {
            sum += buffer.getLong(offset);
            received++;
        };
    }

    static final class Throughput
    {
        final Subscription sub;
        final Publication pub;
        final BufferClaim claim = padded(new BufferClaim());
        final Receiver rx = padded(new Receiver());
        final Object pad = padded(null);

        Throughput(final Aeron aeron, final int stream) throws InterruptedException
        {
            sub = aeron.addSubscription(CHANNEL, stream);
            pub = aeron.addPublication(CHANNEL, stream);
            awaitConnected(pub, sub);
        }

        void receive()
        {
            final Receiver rx = this.rx;
            while (rx.received < rx.count)
            {
                sub.poll(rx.handler, FRAGMENT_LIMIT);
            }
            rx.endNs = System.nanoTime();
        }

        double round(final int size, final long count) throws InterruptedException
        {
            rx.count = count;
            rx.received = 0;
            rx.sum = 0;
            final Thread t = new Thread(this::receive, "bench-subscriber");
            t.start();
            final long startNs = System.nanoTime();
            for (long i = 0; i < count; i++)
            {
                long r;
                while ((r = pub.tryClaim(size, claim)) <= 0)
                {
                    checkFatal(r);
                }
                claim.buffer().putLong(claim.offset(), i);
                claim.commit();
            }
            t.join();
            if (rx.sum != count * (count - 1) / 2)
            {
                throw new IllegalStateException("received the wrong messages");
            }
            return count * 1e9 / (rx.endNs - startNs);
        }
    }

    static final class PingPong
    {
        final Subscription pingSub;
        final Publication pongPub;
        final Subscription pongSub;
        final Publication pingPub;
        final BufferClaim claim = padded(new BufferClaim());
        final BufferClaim pongClaim = padded(new BufferClaim());
        final java.util.concurrent.atomic.AtomicBoolean running =
            padded(new java.util.concurrent.atomic.AtomicBoolean());
        final Object pad = padded(null);
        long[] rtt = new long[0];
        int n;
        boolean got;
        final FragmentHandler onPong = (buffer, offset, length, header) ->
        {
            rtt[n] = System.nanoTime() - buffer.getLong(offset);
            got = true;
        };
        final FragmentHandler echo;

        PingPong(final Aeron aeron, final int stream) throws InterruptedException
        {
            pingSub = aeron.addSubscription(CHANNEL, stream);
            pongPub = aeron.addPublication(CHANNEL, stream + 1);
            pongSub = aeron.addSubscription(CHANNEL, stream + 1);
            pingPub = aeron.addPublication(CHANNEL, stream);
            awaitConnected(pingPub, pingSub);
            awaitConnected(pongPub, pongSub);
            echo = (buffer, offset, length, header) ->
            {
                long r;
                while ((r = pongPub.tryClaim(length, pongClaim)) <= 0)
                {
                    checkFatal(r);
                }
                pongClaim.buffer().putBytes(pongClaim.offset(), buffer, offset, length);
                pongClaim.commit();
            };
        }

        void pong()
        {
            while (running.get())
            {
                pingSub.poll(echo, FRAGMENT_LIMIT);
            }
        }

        String round(final int size, final int count) throws InterruptedException
        {
            if (rtt.length != count)
            {
                rtt = new long[count];
            }
            int idle = 0;
            running.set(true);
            final Thread pong = new Thread(this::pong, "bench-pong");
            pong.start();
            for (n = 0; n < count; n++)
            {
                long r;
                while ((r = pingPub.tryClaim(size, claim)) <= 0)
                {
                    checkFatal(r);
                }
                claim.buffer().putLong(claim.offset(), System.nanoTime());
                claim.commit();
                got = false;
                while (!got)
                {
                    if (pongSub.poll(onPong, 1) == 0 && (++idle & 0xFF_FFFF) == 0 && pingPub.isClosed())
                    {
                        System.err.println("java ping: the client closed (driver gone?)");
                        System.exit(3);
                    }
                }
            }
            running.set(false);
            pong.join();
            Arrays.sort(rtt);
            return "rtt " + rtt[count / 2] + " " + rtt[(int)(count * 0.99)];
        }
    }

    public static void main(final String[] args) throws Exception
    {
        final Map<Integer, Throughput> throughputs = new HashMap<>();
        final Map<Integer, PingPong> pingPongs = new HashMap<>();
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(args[0])))
        {
            System.out.println("ready");
            System.out.flush();
            for (String line; (line = in.readLine()) != null && !line.equals("quit"); )
            {
                final String[] f = line.split(" ");
                final int stream = Integer.parseInt(f[1]);
                final int size = Integer.parseInt(f[2]);
                final int count = Integer.parseInt(f[3]);
                if (f[0].equals("tp"))
                {
                    Throughput t = throughputs.get(stream);
                    if (t == null)
                    {
                        t = new Throughput(aeron, stream);
                        throughputs.put(stream, t);
                    }
                    System.out.println("rate " + (long)t.round(size, count));
                }
                else
                {
                    PingPong p = pingPongs.get(stream);
                    if (p == null)
                    {
                        p = new PingPong(aeron, stream);
                        pingPongs.put(stream, p);
                    }
                    System.out.println(p.round(size, count));
                }
                System.out.flush();
            }
        }
    }
}
