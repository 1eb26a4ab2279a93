package org.tokenrl.rollout.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The calculator's arithmetic (exact decimals, Python's precedence) and tool-call parsing. */
class ToolsTest {
  @Test
  void calculatorIsExactArithmetic() throws Exception {
    assertEquals("6912", Calculator.evaluate("1234 + 5678"));
    assertEquals("-4", Calculator.evaluate("-2 ** 2")); // as Python: unary minus binds looser
    assertEquals("512", Calculator.evaluate("2 ^ 3 ^ 2")); // right-associative
    assertEquals("0.25", Calculator.evaluate("1/4"));
    assertEquals("0.3", Calculator.evaluate("0.1 + 0.2")); // decimal, not binary floating point
    assertEquals("14", Calculator.evaluate(" 2*(3+4) "));
    assertEquals("1", Calculator.evaluate("7 % 3"));
    assertEquals("0.5", Calculator.evaluate("2^-1"));
    assertEquals(
        "123456789012345678901234567890",
        Calculator.evaluate("123456789012345678901234567889 + 1"));
    assertEquals("0.3333333333333333333333333333333333", Calculator.evaluate("1/3"));
  }

  @Test
  void calculatorRejectsWhatIsNotArithmetic() {
    for (String bad :
        List.of(
            "7 / 0",
            "__import__('os')",
            "2 +",
            "(1 + 2",
            "1 2",
            "2 ^ 0.5",
            "10 ^ 1000",
            "(".repeat(40) + "1" + ")".repeat(40),
            "1+".repeat(200) + "1")) {
      ToolException e = assertThrows(ToolException.class, () -> Calculator.evaluate(bad), bad);
      assertTrue(!e.getMessage().isBlank(), bad);
    }
    ToolException zero = assertThrows(ToolException.class, () -> Calculator.evaluate("7 / 0"));
    assertEquals("division by zero", zero.getMessage());
  }

  @Test
  void toolCallsInBothForms() {
    List<ToolCalls.Call> two =
        ToolCalls.parse(
            "Let me compute.<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\":"
                + " \"1+1\"}}\n</tool_call> and <tool_call>{\"name\": \"calculator\","
                + " \"arguments\": \"{\\\"expression\\\": \\\"2\\\"}\"}</tool_call>");
    assertEquals(2, two.size());
    assertEquals("calculator", two.get(0).name());
    assertEquals("1+1", two.get(0).arguments().get("expression").asText());
    assertEquals("2", two.get(1).arguments().get("expression").asText()); // string arguments
    ToolCalls.Call llama =
        ToolCalls.parse(
                "<|python_tag|>{\"name\": \"calculator\", \"parameters\": {\"expression\": \"3\"}}")
            .get(0);
    assertEquals("3", llama.arguments().get("expression").asText());
    assertEquals(List.of(), ToolCalls.parse("The answer is 6912."));
    assertEquals(List.of(), ToolCalls.parse("{\"answer\": 3}")); // JSON, but not a call
    assertTrue(ToolCalls.parse("<tool_call>{\"name\": \"calc").get(0).malformed());
    assertEquals(
        "the call has no \"name\"", ToolCalls.parse("<tool_call>{}</tool_call>").get(0).error());
    assertTrue(ToolCalls.parse("<tool_call>[1]</tool_call>").get(0).malformed());
  }

  @Test
  void toolEnvironmentAnswersErrorsToThePolicy() {
    ToolEnvironment env = new ToolEnvironment(List.of(new CalculatorTool()));
    EnvStep step =
        env.step(
            new EnvTurn(
                0,
                "<tool_call>{\"name\": \"search\", \"arguments\": {}}</tool_call>",
                new int[0],
                List.of(),
                new int[0],
                new int[0],
                false));
    assertEquals(
        "error: unknown tool 'search'; available: calculator", step.observation().get(0).content());
    assertEquals("tool", step.observation().get(0).role());
    assertTrue(
        env.step(new EnvTurn(1, "6912", new int[0], List.of(), new int[0], new int[0], false))
            .done());
  }
}
