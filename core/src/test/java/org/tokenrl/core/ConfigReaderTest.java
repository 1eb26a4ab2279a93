package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigReaderTest {
  private final ConfigReader task =
      ConfigReader.of(
          ConfigFactory.parseString(
              "task { digits = 2, ops = [\"+\", \"-\"], bad_ops = [1], frac = 0.1, half = 1.5,"
                  + " flag = true, zero = 0, none = null, name = arith }"),
          "task");

  private String error(Runnable read) {
    return assertThrows(ConfigException.class, read::run).getMessage();
  }

  @Test
  void readsTypedValues() {
    assertEquals(2, task.positiveInt("digits"));
    assertEquals(List.of("+", "-"), task.stringList("ops"));
    assertEquals(0.1, task.number("frac", 0, 1));
    assertTrue(task.bool("flag"));
    assertFalse(task.bool("none", false));
    assertEquals("arith", task.string("name"));
    assertEquals(0, task.nonNegativeInt("zero"));
  }

  @Test
  void errorsNameTheFullKey() {
    assertEquals(
        "config error: missing key 'task.width' (set it in base.conf, the selected group file or"
            + " the run config)",
        error(() -> task.integer("width")));
    assertTrue(
        error(() -> task.string("none")).startsWith("config error: missing key 'task.none'"));
    assertTrue(
        error(() -> task.integer("half"))
            .startsWith("config error: 'task.half' must be an integer, got 1.5"));
    assertTrue(
        error(() -> task.positiveInt("zero"))
            .startsWith("config error: 'task.zero' must be an integer at least 1, got 0"));
    assertTrue(
        error(() -> task.integer("digits", 3, 9))
            .startsWith("config error: 'task.digits' must be an integer in [3, 9], got 2"));
    assertTrue(
        error(() -> task.number("half", 0, 1))
            .startsWith("config error: 'task.half' must be in [0.0, 1.0], got 1.5"));
    assertTrue(
        error(() -> task.string("digits"))
            .startsWith("config error: 'task.digits' must be a string, got NUMBER 2"));
    assertTrue(
        error(() -> task.stringList("bad_ops"))
            .startsWith(
                "config error: 'task.bad_ops' must be a list of strings, got element NUMBER"));
  }
}
