package org.tokenrl.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.crypto.FileDecryptionProperties;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetMetricsCallback;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.tokenrl.core.ConfigException;

/**
 * A Parquet file's rows as JSON objects, read with parquet-java's file reader and its record
 * assembly (no Hadoop on the classpath): strings, integers (signed and unsigned), floats, booleans,
 * decimals, nulls, structs (objects), lists in the standard three-level layout and the older
 * two-level ones (arrays), maps (objects keyed by the key's text), every row group and both plain
 * and dictionary encoding. Pages compressed with Snappy, GZIP, ZSTD or LZ4 are read ({@link
 * ParquetCodecs}). Unannotated binary that is valid UTF-8 reads as text, other binary as base64;
 * dates and timestamps read as their stored numbers.
 *
 * <p>Rows are named {@code file: row N}, counting from 0 as pandas and pyarrow do.
 */
final class ParquetRows {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ParquetRows() {}

  static List<DataFile.Row> read(Path file, String shown) {
    List<DataFile.Row> rows = new ArrayList<>();
    try (ParquetFileReader reader = open(new LocalInputFile(file))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
      PageReadStore pages;
      while ((pages = reader.readNextRowGroup()) != null) {
        RecordReader<Group> records = io.getRecordReader(pages, new GroupRecordConverter(schema));
        for (long i = 0; i < pages.getRowCount(); i++) {
          String where = shown + ": row " + rows.size();
          rows.add(new DataFile.Row(where, object(records.read(), schema)));
        }
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof ConfigException c) {
        throw c;
      }
      throw new ConfigException(shown + ": cannot read it as Parquet (" + oneLine(e) + ")", e);
    }
    return rows;
  }

  /**
   * {@code ParquetFileReader.open(file, options)} with options that name our codec factory: the
   * public option builders always build Hadoop's codec factory (and need Hadoop's classes) even
   * when a factory is given afterwards, so the options are made with their full constructor.
   */
  private static ParquetFileReader open(InputFile file) throws IOException {
    try {
      Constructor<ParquetReadOptions> make =
          ParquetReadOptions.class.getDeclaredConstructor(
              boolean.class, // useSignedStringMinMax
              boolean.class, // useStatsFilter
              boolean.class, // useDictionaryFilter
              boolean.class, // useRecordFilter
              boolean.class, // useColumnIndexFilter
              boolean.class, // usePageChecksumVerification
              boolean.class, // useBloomFilter
              boolean.class, // useOffHeapDecryptBuffer
              boolean.class, // useHadoopVectoredIo
              FilterCompat.Filter.class,
              ParquetMetadataConverter.MetadataFilter.class,
              CompressionCodecFactory.class,
              ByteBufferAllocator.class,
              int.class, // maxAllocationSize
              Map.class, // properties
              FileDecryptionProperties.class,
              ParquetMetricsCallback.class,
              ParquetConfiguration.class);
      make.setAccessible(true);
      ParquetReadOptions options =
          make.newInstance(
              false,
              false,
              false,
              false,
              false,
              true, // verify page checksums where the writer stored them
              false,
              false,
              false,
              FilterCompat.NOOP,
              ParquetMetadataConverter.NO_FILTER,
              new ParquetCodecs(),
              new HeapByteBufferAllocator(),
              8 << 20,
              Map.of(),
              null,
              null,
              new PlainParquetConfiguration());
      // The open(InputFile, ParquetReadOptions) overload, looked up by its exact type: javac
      // would load Hadoop's types to rule out the other overloads, Class.getMethod to list them.
      MethodHandle openFile =
          MethodHandles.publicLookup()
              .findStatic(
                  ParquetFileReader.class,
                  "open",
                  MethodType.methodType(
                      ParquetFileReader.class, InputFile.class, ParquetReadOptions.class));
      try {
        return (ParquetFileReader) openFile.invoke(file, options);
      } catch (IOException | RuntimeException | Error e) {
        throw e;
      } catch (Throwable e) {
        throw new IllegalStateException(e);
      }
    } catch (InvocationTargetException e) {
      throw new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "parquet-java's ParquetReadOptions changed shape; rollout/pom.xml pins the version this"
              + " reader was written for",
          e);
    }
  }

  private static ObjectNode object(Group group, GroupType type) {
    ObjectNode out = NODES.objectNode();
    for (int f = 0; f < type.getFieldCount(); f++) {
      Type field = type.getType(f);
      int count = group.getFieldRepetitionCount(f);
      if (field.isRepetition(Type.Repetition.REPEATED)) {
        ArrayNode values = NODES.arrayNode();
        for (int k = 0; k < count; k++) {
          values.add(value(group, f, k, field));
        }
        out.set(field.getName(), values);
      } else {
        out.set(field.getName(), count == 0 ? NODES.nullNode() : value(group, f, 0, field));
      }
    }
    return out;
  }

  private static JsonNode value(Group group, int field, int index, Type type) {
    if (type.isPrimitive()) {
      return primitive(group, field, index, type.asPrimitiveType());
    }
    GroupType g = type.asGroupType();
    Group value = group.getGroup(field, index);
    LogicalTypeAnnotation logical = g.getLogicalTypeAnnotation();
    if (logical instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation) {
      return list(value, g);
    }
    if (logical instanceof LogicalTypeAnnotation.MapLogicalTypeAnnotation
        || logical instanceof LogicalTypeAnnotation.MapKeyValueTypeAnnotation) {
      return map(value, g);
    }
    return object(value, g);
  }

  /**
   * A LIST: one repeated field. In the standard layout it is a group of one field, the element;
   * older writers repeat the element itself (a primitive, a group of several fields, or a group
   * named {@code array} or {@code <list>_tuple}), as parquet-format's compatibility rules say.
   */
  private static ArrayNode list(Group list, GroupType type) {
    ArrayNode out = NODES.arrayNode();
    if (type.getFieldCount() != 1) {
      return out;
    }
    Type repeated = type.getType(0);
    boolean elementIsRepeated =
        repeated.isPrimitive()
            || repeated.asGroupType().getFieldCount() != 1
            || repeated.getName().equals("array")
            || repeated.getName().equals(type.getName() + "_tuple");
    int count = list.getFieldRepetitionCount(0);
    for (int k = 0; k < count; k++) {
      if (elementIsRepeated) {
        out.add(value(list, 0, k, repeated));
      } else {
        Group wrapper = list.getGroup(0, k);
        Type element = repeated.asGroupType().getType(0);
        out.add(
            wrapper.getFieldRepetitionCount(0) == 0
                ? NODES.nullNode()
                : value(wrapper, 0, 0, element));
      }
    }
    return out;
  }

  /** A MAP: repeated key_value groups of a key and an optional value; keys become text. */
  private static ObjectNode map(Group map, GroupType type) {
    ObjectNode out = NODES.objectNode();
    if (type.getFieldCount() != 1 || type.getType(0).isPrimitive()) {
      return out;
    }
    GroupType entry = type.getType(0).asGroupType();
    for (int k = 0; k < map.getFieldRepetitionCount(0); k++) {
      Group kv = map.getGroup(0, k);
      JsonNode key = value(kv, 0, 0, entry.getType(0));
      JsonNode value =
          entry.getFieldCount() < 2 || kv.getFieldRepetitionCount(1) == 0
              ? NODES.nullNode()
              : value(kv, 1, 0, entry.getType(1));
      out.set(key.isTextual() ? key.textValue() : key.toString(), value);
    }
    return out;
  }

  private static JsonNode primitive(Group group, int field, int index, PrimitiveType type) {
    LogicalTypeAnnotation logical = type.getLogicalTypeAnnotation();
    if (logical instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation d) {
      BigInteger unscaled =
          switch (type.getPrimitiveTypeName()) {
            case INT32 -> BigInteger.valueOf(group.getInteger(field, index));
            case INT64 -> BigInteger.valueOf(group.getLong(field, index));
            default -> new BigInteger(group.getBinary(field, index).getBytes());
          };
      return NODES.numberNode(new BigDecimal(unscaled, d.getScale()));
    }
    boolean unsigned =
        logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i && !i.isSigned();
    return switch (type.getPrimitiveTypeName()) {
      case BOOLEAN -> NODES.booleanNode(group.getBoolean(field, index));
      case INT32 ->
          unsigned
              ? NODES.numberNode(Integer.toUnsignedLong(group.getInteger(field, index)))
              : NODES.numberNode(group.getInteger(field, index));
      case INT64 ->
          unsigned
              ? NODES.numberNode(new BigInteger(Long.toUnsignedString(group.getLong(field, index))))
              : NODES.numberNode(group.getLong(field, index));
      case FLOAT -> NODES.numberNode(group.getFloat(field, index));
      case DOUBLE -> NODES.numberNode(group.getDouble(field, index));
      case BINARY, FIXED_LEN_BYTE_ARRAY, INT96 -> binary(group.getBinary(field, index), logical);
    };
  }

  private static JsonNode binary(Binary value, LogicalTypeAnnotation logical) {
    if (logical instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
        || logical instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
        || logical instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation) {
      return NODES.textNode(value.toStringUsingUTF8());
    }
    byte[] bytes = value.getBytes();
    if (logical == null) {
      try {
        return NODES.textNode(
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString());
      } catch (CharacterCodingException e) {
        // not text: fall through to base64
      }
    }
    return NODES.binaryNode(bytes);
  }

  private static String oneLine(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.strip().lines().findFirst().orElse(message);
  }
}
