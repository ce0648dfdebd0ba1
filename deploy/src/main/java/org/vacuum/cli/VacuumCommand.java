package org.vacuum.cli;

import org.vacuum.protocol.VacuumVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code vacuum}: run a node, and ask a running node about its space. */
@Command(
    name = "vacuum",
    mixinStandardHelpOptions = true,
    versionProvider = VacuumCommand.Version.class,
    description = "Autonomous VM factories (Vac) and virtual clusters (VC3) on one Pekko cluster.",
    subcommands = {NodeCommand.class, FactoriesCommand.class, MachinesCommand.class, MachinetypeCommand.class,
        CheckCommand.class, ApelSyncCommand.class, AuditCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:the command did what it says; for 'node status', the node is ready",
        "1:it failed: the node could not start (the reason is printed), answered an error, or is not ready",
        "2:bad usage: unknown option or missing argument",
        "3:the admin URL could not be reached (is the node running? is --url right?)"})
final class VacuumCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed (try 'vacuum --help')");
  }

  /** The command line with vacuum's exit codes for usage errors and failures. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new VacuumCommand());
    InfoCommand.addTo(cl);
    cl.setExitCodeExceptionMapper(e -> e instanceof AdminClient.Failure f ? f.exitCode
        : e instanceof CommandLine.ParameterException ? ExitCodes.USAGE : ExitCodes.FAILED);
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof AdminClient.Failure f) {
        commandLine.getErr().println("vacuum: " + f.getMessage());
        return f.exitCode;
      }
      throw e;
    });
    return cl;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"vacuum " + VacuumVersion.VERSION};
    }
  }
}
