package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A chat template that doubles a string in a loop would need 2^40 characters: it fails with one
 * line, quickly, instead of exhausting the heap; an ordinary template still renders.
 */
class ChatTemplateBoundTest {
  private static final List<ChatTemplate.Message> HELLO =
      List.of(new ChatTemplate.Message("user", "hello"));

  @Test
  @Timeout(30)
  void aTemplateThatDoublesAStringFailsWithOneLine() {
    String doubling =
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
            + "{% endfor %}{{ ns.s }}";
    ChatTemplate.TemplateException e =
        assertThrows(
            ChatTemplate.TemplateException.class,
            () -> new ChatTemplate(doubling, "<s>", "</s>").render(HELLO, true));
    assertTrue(e.getMessage() != null && !e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  @Timeout(30)
  void aTemplateThatPrintsAHugeRangeFailsWithOneLine() {
    String huge = "{% for i in range(100000000) %}{{ messages[0].content }}{% endfor %}";
    List<ChatTemplate.Message> page = List.of(new ChatTemplate.Message("user", "x".repeat(1000)));
    assertThrows(
        ChatTemplate.TemplateException.class,
        () -> new ChatTemplate(huge, "<s>", "</s>").render(page, true));
  }

  @Test
  void anOrdinaryTemplateStillRenders() {
    String t = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}";
    assertEquals("<user>hello", new ChatTemplate(t, "", "").render(HELLO, false));
  }
}
