package org.vacuum.allocation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vacuum.allocation.AllocationTransitions.Input;
import org.vacuum.allocation.AllocationTransitions.Need;
import org.vacuum.allocation.AllocationTransitions.Outcome;
import org.vacuum.allocation.AllocationTransitions.State;
import org.vacuum.allocation.AllocationTransitions.Validation;

class AllocationTransitionsTest {

  /** Reference §2.3's table, with vacuum's asynchronous validation; results after chaining. */
  @ParameterizedTest(name = "{0} validate={1} method={2} keys={3} validation={4} -> {6}")
  @CsvSource(delimiter = '|', value = {
      // from | validate | method | keys | validation | message | to | reason | consumed | need
      "new                | false | ssh     | false | NONE      |                   | new                | Generating allocation credentials.                      | false | ISSUE_KEYS",
      "new                | false | ssh     | true  | NONE      |                   | configured         | Waiting for allocation to be validated.                 | false | NOTHING",
      // chained: configured with the validate action already set asks for validation at once
      "new                | true  | ssh     | true  | NONE      |                   | configured         | Validating allocation credentials.                      | true  | VALIDATE",
      "new                | false | gsissh  | false | NONE      |                   | configured         | Waiting for allocation to be validated.                 | false | NOTHING",
      "new                | false | sshproxy| false | NONE      |                   | configured         | Waiting for allocation to be validated.                 | false | NOTHING",
      "new                | false | local   | false | NONE      |                   | configured         | Waiting for allocation to be validated.                 | false | NOTHING",
      "new                | false |         | false | NONE      |                   | failure            | Invalid allocation: its resource is not defined.        | false | NOTHING",
      "new                | false | ftp     | false | NONE      |                   | failure            | Invalid allocation: access method 'ftp' is not supported (ssh, sshproxy, gsissh or local). | false | NOTHING",
      "configured         | false | ssh     | true  | NONE      |                   | configured         | Waiting for allocation to be validated.                 | false | NOTHING",
      "configured         | true  | ssh     | true  | NONE      |                   | configured         | Validating allocation credentials.                      | true  | VALIDATE",
      "configured         | true  | gsissh  | false | NONE      |                   | configured         | Validating allocation credentials.                      | true  | VALIDATE",
      // chained: configured -> ready, whose handler has the last word
      "configured         | false | ssh     | true  | SUCCEEDED |                   | ready              | Allocation is ready to be used.                         | false | NOTHING",
      "configured         | false | ssh     | true  | FAILED    | Permission denied | validation_failure | Could not validate allocation: Permission denied        | false | NOTHING",
      "configured         | false | ssh     | true  | FAILED    |                   | validation_failure | Could not validate allocation.                          | false | NOTHING",
      "configured         | true  | ftp     | true  | NONE      |                   | failure            | Invalid allocation: access method 'ftp' cannot be validated. | true | NOTHING",
      "validation_failure | false | ssh     | true  | NONE      |                   | validation_failure | previous reason                                         | false | NOTHING",
      // chained: validation_failure -> configured -> validation asked for
      "validation_failure | true  | ssh     | true  | NONE      |                   | configured         | Validating allocation credentials.                      | true  | VALIDATE",
      "ready              | false | ssh     | true  | NONE      |                   | ready              | Allocation is ready to be used.                         | false | NOTHING",
      "ready              | true  | ssh     | true  | NONE      |                   | ready              | Allocation is ready to be used.                         | false | NOTHING",
      "failure            | true  | ssh     | true  | NONE      |                   | failure            | previous reason                                         | false | NOTHING",
  })
  void transitionsTable(String from, boolean validate, String method, boolean keys, Validation validation,
      String message, String to, String reason, boolean consumed, Need need) {
    Outcome out = AllocationTransitions.next(new Input(State.valueOf(from.toUpperCase()), "previous reason",
        validate, method, keys, validation, message));
    assertEquals(new Outcome(State.valueOf(to.toUpperCase()), reason, consumed, need), out);
  }

  @Test
  void loginInFlightKeepsSayingSo() {
    Outcome out = AllocationTransitions.next(new Input(State.CONFIGURED, "Validating allocation credentials.",
        false, "ssh", true, Validation.NONE, null));
    assertEquals(new Outcome(State.CONFIGURED, "Validating allocation credentials.", false, Need.NOTHING), out);
  }

  @Test
  void statesUseVc3Spelling() {
    assertEquals("validation_failure", State.VALIDATION_FAILURE.vc3Name());
    assertEquals("ready", State.READY.vc3Name());
  }
}
