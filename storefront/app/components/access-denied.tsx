import Link from 'next/link';

/**
 * The page a signed-in account without the role an area needs gets instead of any of its data; `reason`
 * names the area and the role ("the audit pages are for auditors").
 */
export function AccessDenied({ reason }: { readonly reason: string }) {
  return (
    <>
      <h1>Access denied</h1>
      <p role="alert" className="alert">
        {`403: ${reason}. If you were just given the role, sign out and sign in again.`}
      </p>
      <p>
        <Link href="/">Back to the shop</Link>
      </p>
    </>
  );
}
