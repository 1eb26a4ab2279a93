package org.tokenrl.tools.credit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.RlBatch;
import org.tokenrl.algorithms.rl.TokenCredit;

/** The credit page greys out tokens an environment wrote (loss mask false). */
class CreditHtmlEnvTest {
  @Test
  void environmentTokensAreGreyAndSaySo() {
    int[][] responses = {{5, 6, 7}, {5, 8}};
    RlBatch batch =
        RlBatch.of(new double[] {1, 0}, responses, 2)
            .withLossMask(new boolean[][] {{true, false, true}, {true, true}});
    TokenCredit credit = Algorithms.create("name = grpo").credit(batch);
    CreditHtml page = new CreditHtml(ConfigFactory.parseString("name = grpo"));
    page.addGroup(1, batch, credit);
    String html = page.render();
    assertEquals(2, html.split("class=\"tok env\"", -1).length - 1, "the legend and one token");
    assertTrue(html.contains("title=\"t=1 A=0.000 (environment)\""), html);
  }
}
