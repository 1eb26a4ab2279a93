// Prints the held-out prompts of a config's task, one per line (the Java task draws them, so the
// demonstration writer can leave them out). Run from the project root after a build:
//   java -cp "cli/target/tokenrl-cli-*.jar:cli/target/lib/*" \
//       experiments/multi-turn/HeldOutPrompts.java experiments/multi-turn/calculator.conf
import java.nio.file.Path;
import org.tokenrl.core.ConfigLoader;
import org.tokenrl.rollout.Example;
import org.tokenrl.rollout.Task;
import org.tokenrl.rollout.Tasks;

public class HeldOutPrompts {
  public static void main(String[] args) {
    var config = ConfigLoader.load(Path.of("configs"), Path.of(args[0]), java.util.List.of()).config();
    Task task = Tasks.create(config.getConfig("task"), Path.of("").toAbsolutePath());
    for (Example e : task.heldOut()) {
      System.out.println(e.prompt());
    }
  }
}
