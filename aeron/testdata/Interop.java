// Java end of the Go client's interop test, run as a single-file program
// against aeron-all.jar. Usage:
//   Interop sub <aeron.dir> <stream> <count>  prints "READY", then one line
//       per received (reassembled) message: "<length> <hex bytes>"
//   Interop pub <aeron.dir> <stream> <count>  offers the messages that
//       message(i) defines, then prints "DONE"
import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

public class Interop
{
    static byte[] message(final int i)
    {
        final byte[] b = new byte[(i * 997) % 6000];
        for (int j = 0; j < b.length; j++)
        {
            b[j] = (byte)(i * 31 + j * 7);
        }
        return b;
    }

    public static void main(final String[] args) throws Exception
    {
        final String mode = args[0];
        final int streamId = Integer.parseInt(args[2]);
        final int count = Integer.parseInt(args[3]);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(args[1])))
        {
            if (mode.equals("sub"))
            {
                final Subscription sub = aeron.addSubscription("aeron:ipc", streamId);
                System.out.println("READY");
                System.out.flush();
                final int[] received = { 0 };
                final HexFormat hex = HexFormat.of();
                final FragmentHandler handler = new FragmentAssembler((buffer, offset, length, header) ->
                {
                    final byte[] b = new byte[length];
                    buffer.getBytes(offset, b);
                    System.out.println(length + " " + hex.formatHex(b));
                    received[0]++;
                });
                while (received[0] < count && System.nanoTime() < deadline)
                {
                    if (sub.poll(handler, 10) == 0)
                    {
                        Thread.sleep(1);
                    }
                }
            }
            else
            {
                final Publication pub = aeron.addPublication("aeron:ipc", streamId);
                while (!pub.isConnected() && System.nanoTime() < deadline)
                {
                    Thread.sleep(1);
                }
                for (int i = 0; i < count && System.nanoTime() < deadline; i++)
                {
                    final byte[] m = message(i);
                    while (pub.offer(new UnsafeBuffer(m), 0, m.length) < 0 && System.nanoTime() < deadline)
                    {
                        Thread.sleep(1);
                    }
                }
                System.out.println("DONE");
            }
            System.out.flush();
        }
    }
}
