/** JSON API call with a key over real HTTP; returns the status and the parsed body (null when empty). */
export async function call(url: string, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  // Test code inspects arbitrary response shapes; the routes' own tests pin the types.
  return { status: response.status, json: text ? (JSON.parse(text) as any) : null }
}
