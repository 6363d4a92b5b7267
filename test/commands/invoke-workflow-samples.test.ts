import { invokesEach, samplesOf } from './samples.js';

invokesEach('npm run invoke on every workflow step, operator and stream sample in events/', samplesOf('workflow-and-operator'));
