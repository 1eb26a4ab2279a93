package org.tokenrl.rollout;

import io.airlift.compress.Decompressor;
import io.airlift.compress.lz4.Lz4Decompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.airlift.compress.zstd.ZstdDecompressor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Page decompression for {@link ParquetRows} without Hadoop: Snappy (pyarrow's and Hugging Face
 * datasets' default), ZSTD and LZ4_RAW through aircompressor (pure Java), GZIP through {@code
 * java.util.zip}, and uncompressed pages. Brotli, LZO and Hadoop's framed LZ4 are refused with the
 * codec's name. Read-only: there is no compressor.
 */
final class ParquetCodecs implements CompressionCodecFactory {
  @Override
  public BytesInputCompressor getCompressor(CompressionCodecName codec) {
    throw new UnsupportedOperationException("tokenrl reads Parquet files, it does not write them");
  }

  @Override
  public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
    Decompressor block =
        switch (codec) {
          case UNCOMPRESSED, GZIP -> null;
          case SNAPPY -> new SnappyDecompressor();
          case ZSTD -> new ZstdDecompressor();
          case LZ4_RAW -> new Lz4Decompressor();
          default ->
              throw new UnsupportedOperationException(
                  "pages compressed with "
                      + codec
                      + " (tokenrl reads snappy, gzip, zstd, lz4_raw or uncompressed; rewrite the"
                      + " file, e.g. pyarrow.parquet.write_table(table, path) for snappy)");
        };
    return new Pages(codec, block);
  }

  @Override
  public void release() {}

  private record Pages(CompressionCodecName codec, Decompressor block)
      implements BytesInputDecompressor {
    @Override
    public BytesInput decompress(BytesInput compressed, int size) throws IOException {
      if (codec == CompressionCodecName.UNCOMPRESSED) {
        return compressed;
      }
      byte[] in = compressed.toByteArray();
      byte[] out = new byte[size];
      if (codec == CompressionCodecName.GZIP) {
        try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(in))) {
          if (gzip.readNBytes(out, 0, size) != size) {
            throw new IOException("a gzip page is shorter than its header says");
          }
        }
      } else {
        int n = block.decompress(in, 0, in.length, out, 0, size);
        if (n != size) {
          throw new IOException(
              "a " + codec + " page decompressed to " + n + " bytes, its header says " + size);
        }
      }
      return BytesInput.from(out);
    }

    @Override
    public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int size)
        throws IOException {
      byte[] in = new byte[compressedSize];
      input.get(in);
      output.put(decompress(BytesInput.from(in), size).toByteArray());
    }

    @Override
    public void release() {}
  }
}
