// How a server command's answer is shown as text. Pure.

export function resultText(result: unknown): string {
  if (typeof result === 'string') {
    return result;
  }
  if (result && typeof result === 'object') {
    const r = result as Record<string, unknown>;
    for (const key of ['markdown', 'text', 'content']) {
      if (typeof r[key] === 'string') {
        return r[key] as string;
      }
    }
  }
  return '```json\n' + JSON.stringify(result, null, 2) + '\n```\n';
}
