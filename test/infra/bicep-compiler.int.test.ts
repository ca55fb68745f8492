/**
 * The real Bicep compiler over infra/: `bicep build` and `bicep lint` with infra/bicepconfig.json,
 * which raises every linter rule to an error. Zero errors and zero warnings.
 * The CLI comes from scripts/install-bicep.sh (.ci/run calls it), `bicep` on PATH or `az bicep`.
 * Without one, the suite says so loudly and skips; under CI=true it fails instead.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBicep, runBicep, type BicepCli } from '../support/bicep-cli';

const INFRA = join(__dirname, '..', '..', 'infra');
const cli = requireBicep('the Bicep compile and lint tests');

if (cli) {
  const bicep: BicepCli = cli;
  /** Diagnostics are printed as `path(line,col) : Level code: message`. */
  const findings = (output: string) => output.split('\n').filter((l) => / : (Error|Warning|Info) /.test(l));

  describe(`Bicep compiler (${bicep.source})`, () => {
    it('builds infra/main.bicep into an ARM template with no errors and no warnings', () => {
      const run = runBicep(bicep, ['build', join(INFRA, 'main.bicep'), '--stdout']);
      expect(findings(run.stderr)).toEqual([]);
      expect(run.status).toBe(0);
      const template = JSON.parse(run.stdout) as { $schema: string; resources: unknown };
      expect(template.$schema).toContain('subscriptionDeploymentTemplate');
    });

    it('lints infra/main.bicep and every module with no findings', () => {
      const run = runBicep(bicep, ['lint', join(INFRA, 'main.bicep')]);
      expect(findings(`${run.stdout}\n${run.stderr}`)).toEqual([]);
      expect(run.status).toBe(0);
    });

    it('bicepconfig.json turns linter findings into errors (a file with an unused parameter fails)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'bicep-lint-'));
      try {
        copyFileSync(join(INFRA, 'bicepconfig.json'), join(dir, 'bicepconfig.json'));
        writeFileSync(join(dir, 'probe.bicep'), "param unused string = 'x'\noutput answer int = 42\n");
        const run = runBicep(bicep, ['lint', join(dir, 'probe.bicep')], dir);
        expect(run.status).not.toBe(0);
        expect(findings(run.stdout + run.stderr).join('\n')).toMatch(/Error no-unused-params/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('enables every core linter rule at error level (recent API versions and what-if included)', () => {
      const config = JSON.parse(readFileSync(join(INFRA, 'bicepconfig.json'), 'utf8')) as {
        analyzers: { core: { enabled: boolean; rules: Record<string, { level: string }> } };
      };
      const rules = config.analyzers.core.rules;
      expect(config.analyzers.core.enabled).toBe(true);
      expect(rules['use-recent-api-versions']?.level).toBe('error');
      expect(rules['what-if-short-circuiting']?.level).toBe('error');
      const notError = Object.entries(rules)
        .filter(([, rule]) => rule.level !== 'error')
        .map(([name]) => name);
      // Module registries are not used: there is nothing for that rule to check.
      expect(notError).toEqual(['use-recent-module-versions']);
    });
  });
}
