package io.wsbridge.bridge.ws;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * The gzip encoding ({@code Content-Encoding: gzip}, RFC 1952) of one Server-Sent Events stream: every batch is
 * compressed and flushed at once ({@link Deflater#SYNC_FLUSH}), so the client can decode each message as it arrives
 * instead of when the stream ends; the gzip trailer follows the last one. A stream's compressor keeps its history
 * (about 256 KB of native memory) until {@link #end()}.
 */
final class SseGzip {

    private static final byte[] HEADER = {0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    private final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    private final CRC32 crc = new CRC32();
    private final byte[] chunk = new byte[8192];
    private boolean headerWritten;
    private boolean ended;

    /**
     * Compresses {@code input} (consumed) and returns what the client needs to decode it now: the gzip header first,
     * the trailer too if {@code last}.
     */
    synchronized ByteBuffer compress(ByteBuffer input, boolean last) {
        if (ended) {
            return ByteBuffer.allocate(0); // the stream ended meanwhile: its write fails anyway
        }
        SseFormat.Bytes out = new SseFormat.Bytes(input.remaining() / 2 + 64);
        if (!headerWritten) {
            out.write(HEADER);
            headerWritten = true;
        }
        crc.update(input.duplicate());
        deflater.setInput(input);
        if (last) {
            deflater.finish();
            while (!deflater.finished()) {
                drain(out, Deflater.NO_FLUSH);
            }
            long size = deflater.getBytesRead();
            writeIntLe(out, (int) crc.getValue());
            writeIntLe(out, (int) size);
            end();
        } else {
            int produced;
            do {
                produced = drain(out, Deflater.SYNC_FLUSH);
            } while (produced == chunk.length);
        }
        return out.buffer();
    }

    private int drain(SseFormat.Bytes out, int flush) {
        int produced = deflater.deflate(chunk, 0, chunk.length, flush);
        out.write(chunk, 0, produced);
        return produced;
    }

    private static void writeIntLe(SseFormat.Bytes out, int value) {
        out.write(value & 0xff);
        out.write((value >>> 8) & 0xff);
        out.write((value >>> 16) & 0xff);
        out.write((value >>> 24) & 0xff);
    }

    /** Frees the compressor's native memory; the stream ends without its trailer if it was not the last write. */
    synchronized void end() {
        if (!ended) {
            ended = true;
            deflater.end();
        }
    }
}
