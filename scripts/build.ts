/** `npm run build`: builds dist/ (scripts/lib/build-project.ts). */
import { buildProject } from './lib/build-project';

buildProject().then(
  (summary) => console.log(summary),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
