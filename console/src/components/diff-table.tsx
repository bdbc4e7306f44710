import { fieldLabel } from '../../../api-shapes/audit-words.ts'
import type { DiffLine } from '../lib/audit-diff.ts'

/** Changed fields before and after, in words: the audit log's entries and change requests alike. */
export function DiffTable(props: { lines: DiffLine[] }) {
  if (props.lines.length === 0) return null
  return (
    <table class="diff">
      <colgroup>
        <col class="diff-field" />
        <col class="diff-value" />
        <col class="diff-value" />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {props.lines.map((l) => (
          <tr data-field={l.field}>
            <th scope="row">{fieldLabel(l.field)}</th>
            <td data-label="Before">
              <del>{l.before}</del>
            </td>
            <td data-label="After">
              <ins>{l.after}</ins>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
