import { parentPort, workerData } from 'node:worker_threads';
import { exactTopKRange, type ExactKnnJob } from './exact-knn';

const ids = exactTopKRange(workerData as ExactKnnJob);
parentPort!.postMessage(ids, [ids.buffer]);
