package org.tokenrl.distributed;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.tokenrl.model.SamplingParams;
import org.tokenrl.rollout.PromptRequest;

/**
 * What one rollout actor samples in a step: a contiguous slice of the step's prompts, starting at
 * prompt {@code firstPrompt} of the batch, with the step's sampling settings and seed. Rows are
 * seeded by their position in the whole batch ({@code RowSeeds.of(seed, p, k)}), so a slice's
 * tokens do not depend on how the batch was split.
 *
 * <p>Crosses to the actor as a compact byte array ({@link #toBytes()}), like everything this pool
 * sends, rather than through Ray's generic object serializer.
 */
public record SliceRequest(
    int firstPrompt, List<PromptRequest> prompts, int groupSize, SamplingParams params, long seed) {

  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(firstPrompt);
      out.writeInt(groupSize);
      out.writeLong(seed);
      out.writeDouble(params.temperature());
      out.writeInt(params.topK());
      out.writeDouble(params.topP());
      out.writeInt(params.maxNewTokens());
      out.writeInt(params.eosId());
      out.writeBoolean(params.greedy());
      int[] stops = params.stopIds().stream().mapToInt(Integer::intValue).sorted().toArray();
      out.writeInt(stops.length);
      for (int id : stops) {
        out.writeInt(id);
      }
      out.writeInt(prompts.size());
      for (PromptRequest p : prompts) {
        out.writeInt(p.exampleId());
        byte[] reference = p.reference().getBytes(StandardCharsets.UTF_8);
        out.writeInt(reference.length);
        out.write(reference);
        out.writeInt(p.promptIds().length);
        for (int id : p.promptIds()) {
          out.writeInt(id);
        }
        // multi-turn rollouts render the prompt again with their environment's tools
        writeString(out, p.prompt());
        out.writeInt(p.messages().size());
        for (org.tokenrl.core.ChatTemplate.Message m : p.messages()) {
          writeString(out, m.role());
          writeString(out, m.content());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
    return bytes.toByteArray();
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    return new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8);
  }

  public static SliceRequest fromBytes(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int firstPrompt = in.readInt();
      int groupSize = in.readInt();
      long seed = in.readLong();
      double temperature = in.readDouble();
      int topK = in.readInt();
      double topP = in.readDouble();
      int maxNewTokens = in.readInt();
      int eosId = in.readInt();
      boolean greedy = in.readBoolean();
      java.util.Set<Integer> stops = new java.util.HashSet<>();
      for (int n = in.readInt(); n > 0; n--) {
        stops.add(in.readInt()); // e.g. a chat model's <|im_end|> besides its EOS
      }
      SamplingParams params =
          new SamplingParams(temperature, topK, topP, maxNewTokens, eosId, greedy, stops);
      PromptRequest[] prompts = new PromptRequest[in.readInt()];
      for (int i = 0; i < prompts.length; i++) {
        int exampleId = in.readInt();
        String reference = new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8);
        int[] ids = new int[in.readInt()];
        for (int t = 0; t < ids.length; t++) {
          ids[t] = in.readInt();
        }
        String prompt = readString(in);
        List<org.tokenrl.core.ChatTemplate.Message> messages = new java.util.ArrayList<>();
        for (int n = in.readInt(); n > 0; n--) {
          messages.add(new org.tokenrl.core.ChatTemplate.Message(readString(in), readString(in)));
        }
        prompts[i] = new PromptRequest(exampleId, ids, reference, prompt, messages);
      }
      return new SliceRequest(firstPrompt, List.of(prompts), groupSize, params, seed);
    } catch (IOException e) {
      throw new UncheckedIOException("malformed slice request", e);
    }
  }
}
